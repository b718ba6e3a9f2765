// config_client.h: helpers shared by the config unit tests (test_config,
// test_config_table): load a command line, CONFIG GET a value, run a CONFIG
// command, and Redis's FATAL CONFIG block. Header-only C++; each test binary
// is one translation unit.
#ifndef TESSERA_TEST_CONFIG_CLIENT_H
#define TESSERA_TEST_CONFIG_CLIENT_H

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>
#include <string>
#include <vector>

#include "tests/shim/config_shim.h"

namespace {

inline std::string
get(const char *name)
{
    char *v = cfg_shim_get(name);
    if (!v)
        return "<null>";
    std::string s(v);
    cfg_shim_free(v);
    return s;
}

inline int
load(std::vector<const char *> args, std::string *err = nullptr)
{
    args.insert(args.begin(), "/usr/bin/tessera-server");
    char *e = nullptr;
    int rc = cfg_shim_load((int)args.size(), args.data(), &e);
    if (err)
        *err = e ? e : "";
    free(e);
    return rc;
}

inline std::string
fatal(int line, const std::string &text, const std::string &msg)
{
    return "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line " +
           std::to_string(line) + "\n>>> '" + text + "'\n" + msg + "\n";
}

inline std::string
cmd(std::vector<const char *> argv, int resp = 2, int local = 1)
{
    size_t len;
    const char *r = cfg_shim_cmd(resp, local, (int)argv.size(), argv.data(), &len);
    return std::string(r, len);
}

inline std::string
bulk(const std::string &s)
{
    return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

inline std::string
slurp(const std::string &path)
{
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

/* Each test starts from the defaults in a fresh temp directory (its cwd
 * is restored after, since "dir" changes it). */
class ConfigFixture : public ::testing::Test {
  protected:
    char cwd_[PATH_MAX];
    std::string tmpdir_;
    void SetUp() override
    {
        ASSERT_NE(getcwd(cwd_, sizeof(cwd_)), nullptr);
        char tmpl[] = "/tmp/tessera-cfg-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        tmpdir_ = tmpl;
        ASSERT_EQ(load({}), 0);
    }
    void TearDown() override
    {
        ASSERT_EQ(chdir(cwd_), 0);
        std::string rm = "rm -rf " + tmpdir_;
        ASSERT_EQ(system(rm.c_str()), 0);
    }
    std::string write(const std::string &name, const std::string &text)
    {
        std::string p = tmpdir_ + "/" + name;
        std::ofstream f(p);
        f << text;
        return p;
    }
};

} // namespace

#endif
