#include "base/short_function_name.hpp"

namespace concurrence::detail {

namespace {
bool opens(char c) { return c == '(' || c == '<' || c == '['; }
bool closes(char c) { return c == ')' || c == '>' || c == ']'; }
}  // namespace

std::string short_function_name(std::string_view s) {
    // g++'s " [with T = int]" after a template's signature.
    if (const auto with = s.find(" [with "); with != std::string_view::npos) s = s.substr(0, with);
    // The parameter list: the parenthesised group that ends the signature.
    if (!s.empty() && s.back() == ')') {
        int depth = 0;
        for (std::size_t i = s.size(); i-- > 0;) {
            if (closes(s[i])) ++depth;
            if (opens(s[i]) && --depth == 0) {
                if (!s.substr(0, i).ends_with("operator")) s = s.substr(0, i);  // "operator()" alone
                break;
            }
        }
    }
    // The return type: everything up to the last space outside brackets.
    int depth = 0;
    for (std::size_t i = s.size(); i-- > 0;) {
        if (closes(s[i])) ++depth;
        if (opens(s[i])) --depth;
        if (depth == 0 && s[i] == ' ') {
            s = s.substr(i + 1);
            break;
        }
    }
    // Parameter lists left in the scopes ("TestBody()::<lambda()>"): Python's qualname has none.
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const bool keeps = s.substr(0, i).ends_with("operator");  // operator()
        if (s[i] != '(' || keeps) {
            out += s[i];
            continue;
        }
        int nesting = 0;
        for (; i < s.size(); ++i) {
            if (s[i] == '(') ++nesting;
            if (s[i] == ')' && --nesting == 0) break;
        }
    }
    // The name without its scopes, as __builtin_FUNCTION gives it (clang 14): "dire_bonjour",
    // not "app::{anonymous}::dire_bonjour". A lambda keeps the function it is in:
    // "TestBody::<lambda>".
    std::size_t start = 0;
    std::size_t previous = 0;
    int angle = 0;
    for (std::size_t i = 0; i + 1 < out.size(); ++i) {
        if (out[i] == '<') ++angle;
        if (out[i] == '>') --angle;
        if (angle == 0 && out[i] == ':' && out[i + 1] == ':') {
            previous = start;
            start = i + 2;
            ++i;
        }
    }
    if (std::string_view(out).substr(start).starts_with("<lambda")) start = previous;
    return out.substr(start);
}

}  // namespace concurrence::detail
