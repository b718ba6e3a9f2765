// test_config_table.cpp: walks the whole directive table (issue 10, "the
// audit"). Every directive has exactly one class; every not-yet directive
// accepts its Redis default in the spellings Redis takes and refuses any
// other value at start-up (argument and config-file line) and by CONFIG
// SET, naming the directive and the value; every acts and cosmetic
// directive accepts its default the same ways.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits.h>
#include <stdio.h>
#include <string>
#include <unistd.h>

#include "tests/unit/core/config_client.h"

namespace {

const char *const NOT_YET = " is not supported by Tessera yet";

/* The default as it is typed back: CONFIG GET's text, except replicaof,
 * whose "no master" value is written "no one". */
std::string
default_text(const cfg_shim_opt &o)
{
    if (o.kind == 'R')
        return "no one";
    return get(o.name);
}

bool
is_bool(const cfg_shim_opt &o)
{
    return o.kind == 'b' || (o.kind == 0 && o.type == 'b');
}

bool
is_number(const cfg_shim_opt &o)
{
    return o.kind == 'i' || o.kind == 'm' || (o.kind == 0 && (o.type == 'i' || o.type == 'l' || o.type == 'm'));
}

/* Other spellings Redis accepts for the same default value. */
std::vector<std::string>
default_spellings(const cfg_shim_opt &o, const std::string &def)
{
    std::vector<std::string> v{ def };
    std::string up = def;
    std::transform(up.begin(), up.end(), up.begin(), ::toupper);
    if ((is_bool(o) || o.kind == 'e' || o.kind == 'R' || (o.kind == 0 && o.type == 'e')) && up != def)
        v.push_back(up);
    bool mem = o.kind == 'm' || (o.kind == 0 && o.type == 'm');
    if (mem) {
        long long n = atoll(def.c_str());
        if (n == 0)
            v.push_back("0gb");
        else if (n % (1024 * 1024) == 0)
            v.push_back(std::to_string(n / (1024 * 1024)) + "MB");
        else if (n % 1024 == 0)
            v.push_back(std::to_string(n / 1024) + "kb");
    }
    return v;
}

/* A value Redis would accept that is not the default. */
std::string
other_value(const cfg_shim_opt &o, const std::string &def)
{
    if (is_bool(o))
        return def == "yes" ? "no" : "yes";
    if (is_number(o)) {
        long long n = atoll(def.c_str());
        long long max = o.kind ? LLONG_MAX : o.max;
        return std::to_string(n < max ? n + 1 : n - 1);
    }
    if (o.kind == 0 && o.type == 'e') {
        for (const char *w : { "always", "allkeys-lru", "hostname", "yes", "debug" }) {
            if (w == def)
                continue;
            char err[256];
            const char *args[] = { w };
            /* a valid word is refused as not yet, an invalid one by Redis's list */
            if (cfg_shim_apply(o.name, 1, args, 0, err, sizeof(err)) != 0 && strstr(err, NOT_YET))
                return w;
        }
        return "<no other enum value>";
    }
    if (o.kind == 0 && o.type == 's')
        return "other.rdb";
    if (o.kind == 0 && o.type == 'x')
        return "3600 1"; /* save */
    if (o.kind == 'o')
        return "700";
    if (o.kind == 'R')
        return "127.0.0.1 6379";
    return "tessera-other";
}

/* The start of the refusal text: "<name> <value> is not supported by
 * Tessera yet (why): use <name> " (the default follows). */
std::string
refusal(const cfg_shim_opt &o, const std::string &value)
{
    if (o.kind == 0 && o.type == 'x')
        return "save rules are not supported by Tessera yet (no persistence): use save \"\"";
    return std::string(o.name) + " " + value + NOT_YET + o.why + ": use " + o.name + " ";
}

/* The FATAL block up to the message's start (the default follows it). */
std::string
starts(std::string block)
{
    block.pop_back();
    return block;
}

class ConfigTable : public ConfigFixture {
  protected:
    void SetUp() override
    {
        ConfigFixture::SetUp();
        cfg_shim_set_protected(1); // dbfilename and dir may be set
    }
    void TearDown() override
    {
        cfg_shim_set_protected(0);
        ConfigFixture::TearDown();
    }
    /* Start-up with "--name value": 0 or -1 with the stderr text. */
    int load_arg(const char *name, const std::string &value, std::string *err)
    {
        std::string flag = std::string("--") + name;
        return load({ flag.c_str(), value.c_str() }, err);
    }
    /* Start-up with a config file holding "name value". */
    int load_file(const std::string &line, std::string *err)
    {
        std::string p = write("t.conf", line + "\n");
        return load({ p.c_str() }, err);
    }
};

} // namespace

TEST_F(ConfigTable, NotYetRefusesAllButTheDefault)
{
    size_t n = cfg_shim_nopts(), counted = 0;
    for (size_t i = 0; i < n; i++) {
        cfg_shim_opt o;
        cfg_shim_opt_at(i, &o);
        if (o.cls != CFG_SHIM_NOT_YET)
            continue;
        counted++;
        SCOPED_TRACE(o.name);
        ASSERT_EQ(load({}), 0);
        cfg_shim_set_protected(1);
        const std::string def = default_text(o), shown = get(o.name);
        const std::string other = other_value(o, def);
        std::string err;

        // the default, every spelling, by argument, file line and alias
        for (const std::string &d : default_spellings(o, def)) {
            EXPECT_EQ(load_arg(o.name, d, &err), 0) << d << ": " << err;
            EXPECT_EQ(get(o.name), shown) << d;
            EXPECT_EQ(load_file(std::string(o.name) + " \"" + d + "\"", &err), 0) << d << ": " << err;
            if (o.alias) {
                EXPECT_EQ(load_arg(o.alias, d, &err), 0) << o.alias << " " << d << ": " << err;
            }
        }
        if (o.kind == 'R') {
            EXPECT_EQ(load_file(std::string(o.name) + " no one", &err), 0) << err;
        }

        // anything else: refused at start-up, naming directive and value
        const std::string why = refusal(o, other);
        EXPECT_EQ(load_arg(o.name, other, &err), -1);
        EXPECT_EQ(err.rfind(starts(fatal(2, std::string(o.name) + " \"" + other + "\"", why)), 0), 0u) << err;
        std::string line = std::string(o.name) + " " + other;
        EXPECT_EQ(load_file(line, &err), -1);
        EXPECT_EQ(err.rfind(starts(fatal(1, line, why)), 0), 0u) << err;
        if (o.alias) {
            EXPECT_EQ(load_arg(o.alias, other, &err), -1);
            EXPECT_NE(err.find(why), std::string::npos) << err;
        }

        // and by CONFIG SET, which leaves the value alone
        ASSERT_EQ(load({}), 0);
        cfg_shim_set_protected(1);
        std::string r = cmd({ "config", "set", o.name, other.c_str() });
        std::string head = std::string("-ERR CONFIG SET failed (possibly related to argument '") + o.name + "') - ";
        if (o.immutable) {
            EXPECT_EQ(r, head + "can't set immutable config\r\n");
        } else {
            EXPECT_EQ(r.rfind(head + why, 0), 0u) << r;
            EXPECT_EQ(r.substr(r.size() - 2), "\r\n");
            EXPECT_EQ(get(o.name), shown);
            for (const std::string &d : default_spellings(o, def))
                EXPECT_EQ(cmd({ "config", "set", o.name, d.c_str() }), "+OK\r\n") << d;
            EXPECT_EQ(get(o.name), shown);
        }
    }
    EXPECT_GT(counted, 80u);
}

TEST_F(ConfigTable, ActsAndCosmeticAcceptTheirDefault)
{
    size_t n = cfg_shim_nopts(), counts[3] = { 0, 0, 0 };
    for (size_t i = 0; i < n; i++) {
        cfg_shim_opt o;
        cfg_shim_opt_at(i, &o);
        ASSERT_TRUE(o.cls == CFG_SHIM_ACTS || o.cls == CFG_SHIM_COSMETIC || o.cls == CFG_SHIM_NOT_YET);
        counts[o.cls]++;
        if (o.cls == CFG_SHIM_NOT_YET)
            continue;
        SCOPED_TRACE(o.name);
        ASSERT_EQ(load({}), 0);
        cfg_shim_set_protected(1);
        const std::string def = default_text(o);
        std::string err;
        // replicaof "no one" is shown as "" by CONFIG GET, as in Redis
        const std::string shown = o.kind == 'R' ? "" : def;
        EXPECT_EQ(load_arg(o.name, def, &err), 0) << err;
        EXPECT_EQ(get(o.name), shown);
        cfg_shim_set_protected(1); // the load reset it
        if (!o.immutable) {
            EXPECT_EQ(cmd({ "config", "set", o.name, def.c_str() }), "+OK\r\n");
        }
        EXPECT_EQ(get(o.name), shown);
        if (o.cls == CFG_SHIM_COSMETIC) {
            // cosmetic: any value Redis takes, never "not supported"
            std::string other = other_value(o, def);
            EXPECT_EQ(load_arg(o.name, other, &err), 0) << err;
            EXPECT_EQ(get(o.name), other);
        }
    }
    EXPECT_EQ(counts[0] + counts[1] + counts[2], n);
    printf("directives: %zu acts, %zu cosmetic, %zu not yet\n", counts[CFG_SHIM_ACTS], counts[CFG_SHIM_COSMETIC],
           counts[CFG_SHIM_NOT_YET]);
}

/* rename-command, user, loadmodule, and the deprecated names Redis skips. */
TEST_F(ConfigTable, LinesThatAreNotOptions)
{
    for (size_t i = 0; i < cfg_shim_nothers(); i++) {
        const char *name, *why;
        int argc_min, cls;
        cfg_shim_other(i, &name, &argc_min, &cls, &why);
        SCOPED_TRACE(name);
        std::string line = name;
        for (int k = 1; k < argc_min; k++)
            line += " x" + std::to_string(k);
        std::string err;
        if (cls == CFG_SHIM_NOT_YET) {
            EXPECT_EQ(load_file(line, &err), -1);
            EXPECT_EQ(err, fatal(1, line, std::string(name) + NOT_YET + why));
        } else {
            EXPECT_EQ(cls, CFG_SHIM_COSMETIC);
            EXPECT_EQ(load_file(line, &err), 0) << err;
        }
        // never options: CONFIG GET does not list them
        EXPECT_EQ(get(name), "<null>");
    }
}

/* CONFIG SET of several parameters is all or nothing (Redis 7): one
 * not-yet value refuses the others, whatever their order. */
TEST_F(ConfigTable, SetIsAtomic)
{
    EXPECT_EQ(cmd({ "config", "set", "hz", "33", "appendonly", "yes", "slowlog-max-len", "5" }),
              "-ERR CONFIG SET failed (possibly related to argument 'appendonly') - appendonly yes is "
              "not supported by Tessera yet (no persistence): use appendonly no\r\n");
    EXPECT_EQ(get("hz"), "10");
    EXPECT_EQ(get("slowlog-max-len"), "128");
    EXPECT_EQ(cmd({ "config", "set", "hz", "33", "appendonly", "no", "slowlog-max-len", "5" }), "+OK\r\n");
    EXPECT_EQ(get("hz"), "33");
    EXPECT_EQ(get("repl-backlog-size"), "1048576");
    EXPECT_EQ(cmd({ "config", "set", "hz", "10", "slowlog-max-len", "128" }), "+OK\r\n");
}
