// test_glob.cpp: glob matching (core/glob.c). The table's verdicts are
// redis-server 7.0.15's: each row was checked with KEYS <pattern> against
// a database holding only <string> (a lone "*" and the empty string by
// PSUBSCRIBE / PUBLISH, since KEYS * lists every key without matching).
// Then: nocase, the step bound on patterns that were exponential, and a
// randomized comparison with the recursive reference (tests/fuzz/glob_ref.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "tests/shim/glob_shim.h"

namespace {

std::string
rep(const std::string &unit, int n)
{
    std::string s;
    for (int i = 0; i < n; i++)
        s += unit;
    return s;
}

bool
match(const std::string &p, const std::string &s, bool nocase = false, uint64_t *steps = nullptr)
{
    uint64_t st = 0;
    bool m = glob_shim_match(p.data(), p.size(), s.data(), s.size(), nocase, &st) != 0;
    if (steps)
        *steps = st;
    return m;
}

/* The work bound the matcher promises: polynomial, never more than a few
 * passes over the pattern per byte of the string. */
uint64_t
bound(const std::string &p, const std::string &s)
{
    return 4 * (uint64_t)(s.size() + p.size() + 2) * (p.size() + 2);
}

struct Row {
    std::string pat, str;
    bool want;
};

} // namespace

TEST(Glob, RedisTable)
{
    const Row rows[] = {
        { std::string("*", 1), std::string("abc", 3), true },
        { std::string("**", 2), std::string("abc", 3), true },
        { std::string("**", 2), std::string("", 0), false },
        { std::string("*", 1), std::string("", 0), false },
        { std::string("", 0), std::string("", 0), true },
        { std::string("", 0), std::string("a", 1), false },
        { std::string("a*", 2), std::string("a", 1), true },
        { std::string("*a", 2), std::string("a", 1), true },
        { std::string("a*b", 3), std::string("ab", 2), true },
        { std::string("a*b", 3), std::string("axxb", 4), true },
        { std::string("a*b", 3), std::string("axxbc", 5), false },
        { std::string("a*b*", 4), std::string("axxbc", 5), true },
        { std::string("*b*", 3), std::string("b", 1), true },
        { std::string("?", 1), std::string("a", 1), true },
        { std::string("?", 1), std::string("ab", 2), false },
        { std::string("??", 2), std::string("a", 1), false },
        { std::string("h?llo", 5), std::string("hello", 5), true },
        { std::string("h*llo", 5), std::string("hllo", 4), true },
        { std::string("h[ae]llo", 8), std::string("hello", 5), true },
        { std::string("h[ae]llo", 8), std::string("hillo", 5), false },
        { std::string("h[^e]llo", 8), std::string("hallo", 5), true },
        { std::string("h[^e]llo", 8), std::string("hello", 5), false },
        { std::string("h[a-b]llo", 9), std::string("hbllo", 5), true },
        { std::string("h[a-b]llo", 9), std::string("hcllo", 5), false },
        { std::string("h[b-a]llo", 9), std::string("hallo", 5), true },
        { std::string("[", 1), std::string("[", 1), false },
        { std::string("[", 1), std::string("a", 1), false },
        { std::string("[a", 2), std::string("a", 1), true },
        { std::string("[a", 2), std::string("ab", 2), false },
        { std::string("[a-", 3), std::string("a", 1), true },
        { std::string("[a-", 3), std::string("-", 1), true },
        { std::string("[a-", 3), std::string("b", 1), false },
        { std::string("[a-]", 4), std::string("]", 1), true },
        { std::string("[a-]", 4), std::string("^", 1), true },
        { std::string("[a-]", 4), std::string("-", 1), false },
        { std::string("[a-]", 4), std::string("b", 1), false },
        { std::string("\\", 1), std::string("\\", 1), true },
        { std::string("\\", 1), std::string("a", 1), false },
        { std::string("a\\", 2), std::string("a\\", 2), true },
        { std::string("[^]", 3), std::string("x", 1), true },
        { std::string("[^]", 3), std::string("]", 1), true },
        { std::string("[^]", 3), std::string("xy", 2), false },
        { std::string("[]", 2), std::string("]", 1), false },
        { std::string("[]", 2), std::string("a", 1), false },
        { std::string("[]a]", 4), std::string("a]", 2), false },
        { std::string("[]a]", 4), std::string("a", 1), false },
        { std::string("[^", 2), std::string("x", 1), true },
        { std::string("[^", 2), std::string("^", 1), true },
        { std::string("a\\*", 3), std::string("a*", 2), true },
        { std::string("a\\*", 3), std::string("ab", 2), false },
        { std::string("a\\*", 3), std::string("a", 1), false },
        { std::string("\\?", 2), std::string("?", 1), true },
        { std::string("\\?", 2), std::string("a", 1), false },
        { std::string("\\[a]", 4), std::string("[a]", 3), true },
        { std::string("\\[a]", 4), std::string("a", 1), false },
        { std::string("[\\]", 3), std::string("]", 1), true },
        { std::string("[\\]", 3), std::string("\\", 1), false },
        { std::string("[\\]]", 4), std::string("]", 1), true },
        { std::string("[\\", 2), std::string("\\", 1), true },
        { std::string("[\\-a]", 5), std::string("-", 1), true },
        { std::string("[\\-a]", 5), std::string("b", 1), false },
        { std::string("[\\]a]", 5), std::string("a", 1), true },
        { std::string("[*]", 3), std::string("*", 1), true },
        { std::string("[*]", 3), std::string("a", 1), false },
        { std::string("[?]", 3), std::string("a", 1), false },
        { std::string("[[]", 3), std::string("[", 1), true },
        { std::string("[a-c-e]", 7), std::string("d", 1), false },
        { std::string("[a-c-e]", 7), std::string("-", 1), true },
        { std::string("[a-c-e]", 7), std::string("e", 1), true },
        { std::string("[-a]", 4), std::string("-", 1), true },
        { std::string("[a-\xff]", 5), std::string("b", 1), false },
        { std::string("[a-\xff]", 5), std::string("\xff", 1), true },
        { std::string("[a-\xff]", 5), std::string("A", 1), true },
        { std::string("[\x80-\x90]", 5), std::string("\x85", 1), true },
        { std::string("[\x01-\x80]", 5), std::string("a", 1), false },
        { std::string("[A-Z]", 5), std::string("a", 1), false },
        { std::string("A", 1), std::string("a", 1), false },
        { std::string("*\xe9*", 3), std::string("caf\xe9", 4), true },
        { std::string("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", 41), std::string("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 40), false },
        { std::string("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", 42), std::string("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", 41), true },
        { std::string("*?*?*?*", 7), std::string("ab", 2), false },
        { std::string("*?*?*?*", 7), std::string("abc", 3), true },
        { std::string("*[ab]*[^a]", 10), std::string("ba", 2), false },
        { std::string("*[ab]*[^a]", 10), std::string("bab", 3), true },
        { rep("*a", 1000), rep("a", 1001), true },
        { rep("*a", 1001), rep("a", 1001), false },
        { rep("a*", 1001), rep("a", 1002), true },
        { rep("a*", 1001) + "b", rep("a", 1002) + "b", false },
        { std::string("**a**", 5), std::string("xa", 2), true },
        { std::string("a**", 3), std::string("a", 1), true },
        { std::string("*\\", 2), std::string("x\\", 2), true },
        { std::string("*[", 2), std::string("x[", 2), false },
    };
    for (const Row &r : rows) {
        uint64_t steps = 0;
        EXPECT_EQ(match(r.pat, r.str, false, &steps), r.want)
            << "pattern '" << r.pat.substr(0, 60) << "' string '" << r.str.substr(0, 60) << "'";
        EXPECT_LE(steps, bound(r.pat, r.str)) << r.pat.substr(0, 60);
        if (std::count(r.pat.begin(), r.pat.end(), '*') <= 6) { /* the reference agrees where it is affordable */
            EXPECT_EQ(glob_shim_ref(r.pat.data(), r.pat.size(), r.str.data(), r.str.size(), 0) != 0, r.want)
                << r.pat;
        }
    }
}

TEST(Glob, Nocase)
{
    EXPECT_TRUE(match("HeLLo", "hello", true));
    EXPECT_FALSE(match("HeLLo", "hello", false));
    EXPECT_TRUE(match("h[A-Z]llo", "hello", true));
    EXPECT_TRUE(match("h[a-z]llo", "hEllo", true));
    EXPECT_TRUE(match("h[E]llo", "hello", true));
    EXPECT_TRUE(match("h[^E]llo", "hallo", true));
    EXPECT_FALSE(match("h[^E]llo", "hello", true));
    // an escaped byte in a set is compared as is, even with nocase (as Redis)
    EXPECT_FALSE(match("h[\\E]llo", "hello", true));
    EXPECT_TRUE(match("h[\\E]llo", "hEllo", true));
    // ...but an escaped byte outside a set folds
    EXPECT_TRUE(match("h\\Ello", "hello", true));
    // only ASCII folds
    EXPECT_FALSE(match("\xc9", "\xe9", true));
    EXPECT_TRUE(match("MAXMEMORY*", "maxmemory-policy", true));
    // Redis orders a range's ends before it folds them: with nocase [Z-a]
    // becomes z..a and matches nothing (redis-server: CONFIG GET
    // "[Z-a]ppendonly" is empty, "[A-b]ppendonly" finds appendonly)
    EXPECT_FALSE(match("[Z-a]", "_", true));
    EXPECT_FALSE(match("[Z-a]", "a", true));
    EXPECT_TRUE(match("[Z-a]", "a", false));
    EXPECT_TRUE(match("[A-b]ppendonly", "appendonly", true));
    EXPECT_FALSE(match("[^A]ppendonly", "appendonly", true));
}

/* The patterns that kept a worker at 100% CPU: polynomial work, answers
 * in microseconds. */
TEST(Glob, PathologicalPatternsAreCheap)
{
    const std::string key40 = rep("a", 40);
    const std::string p20 = rep("a*", 20) + "b";
    uint64_t steps = 0;
    EXPECT_FALSE(match(p20, key40, false, &steps));
    EXPECT_LE(steps, bound(p20, key40));
    const std::string key4k = rep("a", 4096);
    const std::string p500 = rep("*a", 500) + "*b";
    EXPECT_FALSE(match(p500, key4k, false, &steps));
    EXPECT_LE(steps, bound(p500, key4k));
    EXPECT_TRUE(match(p500, key4k + "b", false, &steps));
    EXPECT_LE(steps, bound(p500, key4k + "b"));
    const std::string pset = rep("*[a-c]", 300) + "*[^a]";
    EXPECT_FALSE(match(pset, key4k, false, &steps));
    EXPECT_LE(steps, bound(pset, key4k));
    const std::string pq = rep("*?", 200) + "x";
    EXPECT_FALSE(match(pq, key4k, false, &steps));
    EXPECT_LE(steps, bound(pq, key4k));
}

/* Random small patterns over the bytes that mean something, against the
 * recursive reference (the fuzzer does the same at length). */
TEST(Glob, AgreesWithReference)
{
    std::mt19937 rng(20240917);
    const char alphabet[] = "ab*?[]^-\\Az\x80\xff";
    const size_t na = sizeof(alphabet) - 1;
    auto gen = [&](size_t maxlen) {
        std::string s;
        size_t n = rng() % (maxlen + 1);
        for (size_t i = 0; i < n; i++)
            s += alphabet[rng() % na];
        return s;
    };
    for (int i = 0; i < 200000; i++) {
        std::string p = gen(8), s = gen(8);
        bool nocase = (rng() & 3) == 0;
        uint64_t steps = 0;
        bool got = match(p, s, nocase, &steps);
        bool want = glob_shim_ref(p.data(), p.size(), s.data(), s.size(), nocase) != 0;
        ASSERT_EQ(got, want) << "pattern '" << p << "' string '" << s << "' nocase " << nocase;
        ASSERT_LE(steps, bound(p, s));
    }
}
