// test_conn.cpp: connection admission (net/conn.c). Protected mode as in
// Redis 7.0: with protected-mode yes and no requirepass, only loopback
// clients are accepted, whatever "bind" says.
#include <gtest/gtest.h>

#include "tests/shim/net_shim.h"

TEST(Conn, ProtectedModeRefusesRemoteClientsWithoutPassword)
{
    // the default: protected-mode yes, no password, bind "* -::*"
    EXPECT_EQ(net_shim_protected_denies("10.1.2.3", 1, ""), 1);
    EXPECT_EQ(net_shim_protected_denies("2001:db8::1", 1, NULL), 1);
    EXPECT_EQ(net_shim_protected_denies("127.0.0.1", 1, ""), 0);
    EXPECT_EQ(net_shim_protected_denies("127.9.8.7", 1, ""), 0);
    EXPECT_EQ(net_shim_protected_denies("::1", 1, ""), 0);
    // a password or protected-mode no lets remote clients in
    EXPECT_EQ(net_shim_protected_denies("10.1.2.3", 1, "secret"), 0);
    EXPECT_EQ(net_shim_protected_denies("10.1.2.3", 0, ""), 0);
}
