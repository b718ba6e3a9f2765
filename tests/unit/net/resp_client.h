// resp_client.h: a blocking RESP test client for the in-process runtime
// (tests/shim/net_shim.h), shared by the net unit tests. Header-only C++;
// each test binary is one translation unit.
#ifndef TESSERA_TEST_RESP_CLIENT_H
#define TESSERA_TEST_RESP_CLIENT_H

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <errno.h>
#include <string>
#include <vector>

#include "tests/shim/net_shim.h"

namespace {

// Each test normally runs in its own process (gtest_discover_tests), so each
// picks its own port; run as one binary, the first test's server serves all.
int g_port = 0;

void
StartServer(int port)
{
    if (g_port)
        return;
    ASSERT_EQ(net_shim_start(port, 2), 0);
    g_port = port;
}

class Client
{
  public:
    Client()
    {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)g_port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        for (int i = 0; i < 200; i++) {
            if (connect(fd_, (sockaddr *)&a, sizeof(a)) == 0)
                break;
            usleep(10000);
        }
        int one = 1;
        setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        timeval tv{10, 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    }
    ~Client() { Close(); }
    void
    Close()
    {
        if (fd_ >= 0)
            close(fd_);
        fd_ = -1;
    }

    static std::string
    Encode(const std::vector<std::string> &args)
    {
        std::string s = "*" + std::to_string(args.size()) + "\r\n";
        for (auto &a : args)
            s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
        return s;
    }
    void
    Send(const std::string &bytes)
    {
        size_t off = 0;
        while (off < bytes.size()) {
            ssize_t n = write(fd_, bytes.data() + off, bytes.size() - off);
            ASSERT_GT(n, 0);
            off += (size_t)n;
        }
    }
    // One reply, flattened: "+OK", ":1", "$v", "$nil", "_", "*2[$a,$b]",
    // RESP3 pushes as ">3[...]".
    std::string
    Reply()
    {
        std::string line = Line();
        char t = line.empty() ? '?' : line[0];
        if (t == '+' || t == '-' || t == ':' || t == '_')
            return line;
        if (t == '$') {
            long n = std::stol(line.substr(1));
            if (n < 0)
                return "$nil";
            std::string v = Bytes((size_t)n + 2);
            return "$" + v.substr(0, (size_t)n);
        }
        if (t == '*' || t == '>' || t == '%') {
            long n = std::stol(line.substr(1)) * (t == '%' ? 2 : 1);
            std::string out = std::string(1, t) + std::to_string(n) + "[";
            for (long i = 0; i < n; i++)
                out += (i ? "," : "") + Reply();
            return out + "]";
        }
        return "?" + line;
    }
    std::string
    Call(const std::vector<std::string> &args)
    {
        Send(Encode(args));
        return Reply();
    }
    uint64_t
    Id()
    {
        std::string r = Call({"CLIENT", "ID"});
        return r.size() > 1 ? std::stoull(r.substr(1)) : 0;
    }
    // True if nothing arrives within ms (no stray message is pending).
    bool
    Quiet(int ms)
    {
        if (pos_ < buf_.size())
            return false;
        timeval tv{0, ms * 1000};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        char c;
        ssize_t n = recv(fd_, &c, 1, MSG_PEEK);
        timeval back{10, 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &back, sizeof(back));
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }

  private:
    bool
    Fill()
    {
        char tmp[65536];
        ssize_t n = read(fd_, tmp, sizeof(tmp));
        if (n <= 0)
            return false;
        buf_.append(tmp, (size_t)n);
        return true;
    }
    std::string
    Line()
    {
        size_t p;
        while ((p = buf_.find("\r\n", pos_)) == std::string::npos)
            if (!Fill())
                return "";
        std::string l = buf_.substr(pos_, p - pos_);
        pos_ = p + 2;
        Compact();
        return l;
    }
    std::string
    Bytes(size_t n)
    {
        while (buf_.size() - pos_ < n)
            if (!Fill())
                return std::string(n, '?');
        std::string b = buf_.substr(pos_, n);
        pos_ += n;
        Compact();
        return b;
    }
    void
    Compact()
    {
        if (pos_ > (1u << 20)) {
            buf_.erase(0, pos_);
            pos_ = 0;
        }
    }
    int fd_;
    std::string buf_;
    size_t pos_ = 0;
};

} // namespace

#endif
