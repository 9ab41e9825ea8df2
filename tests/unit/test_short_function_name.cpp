// The coroutine names reports show, from g++'s std::source_location signatures and from
// __builtin_FUNCTION's bare names (clang 14).
#include <gtest/gtest.h>

#include "base/short_function_name.hpp"

namespace {

using concurrence::detail::short_function_name;

TEST(ShortFunctionName, DropsReturnTypeParametersAndScopes) {
    EXPECT_EQ(short_function_name("concurrence::asyncio::Coro<> dire_bonjour()"), "dire_bonjour");
    EXPECT_EQ(short_function_name("concurrence::asyncio::Coro<> {anonymous}::f(int, const char*)"), "f");
    EXPECT_EQ(short_function_name("Coro<std::pair<int, int> > app::Server::serve(std::vector<int>)"), "serve");
    EXPECT_EQ(short_function_name("R ns::C<T>::method(T) [with T = int]"), "method");
}

TEST(ShortFunctionName, ALambdaKeepsTheFunctionItIsIn) {
    EXPECT_EQ(short_function_name("main()::<lambda(int)>"), "main::<lambda>");
    EXPECT_EQ(short_function_name("{anonymous}::Suite_Test::TestBody()::<lambda()>::<lambda()>"), "<lambda>::<lambda>");
}

TEST(ShortFunctionName, BareNamesAreKept) {
    EXPECT_EQ(short_function_name("answer"), "answer");
    EXPECT_EQ(short_function_name("operator()"), "operator()");
    EXPECT_EQ(short_function_name("Coro<> Functor::operator()()"), "operator()");
    EXPECT_EQ(short_function_name(""), "");
}

}  // namespace
