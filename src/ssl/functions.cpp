// Python's ssl module functions (ssl.py's DER_cert_to_PEM_cert, PEM_cert_to_DER_cert,
// cert_time_to_seconds, get_default_verify_paths; _ssl.c's RAND_bytes, RAND_status and the
// OPENSSL_VERSION constants).
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "concurrence/base/errors.hpp"
#include "concurrence/ssl/errors.hpp"
#include "concurrence/ssl/functions.hpp"
#include "ssl/state.hpp"

namespace concurrence::ssl {

namespace detail {

std::string py_repr(std::string_view text) {
    const bool has_single = text.find('\'') != std::string_view::npos;
    const bool has_double = text.find('"') != std::string_view::npos;
    const char quote = has_single && !has_double ? '"' : '\'';
    std::string out(1, quote);
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (ch == quote || ch == '\\') {
            out += '\\';
            out += ch;
        } else if (ch == '\t') {
            out += "\\t";
        } else if (ch == '\n') {
            out += "\\n";
        } else if (ch == '\r') {
            out += "\\r";
        } else if (c < 0x20 || c == 0x7f) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        } else {
            out += ch;
        }
    }
    out += quote;
    return out;
}

}  // namespace detail

namespace {

constexpr std::string_view pem_header = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view pem_footer = "-----END CERTIFICATE-----";

// Python's str.isspace() for ASCII (str.strip() and the \s of strptime's patterns).
bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view strip(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

constexpr char base64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

std::string base64_encode(std::string_view data) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) { return static_cast<unsigned>(static_cast<unsigned char>(data[k])); };
    for (; i + 3 <= data.size(); i += 3) {
        const unsigned v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        out += base64_alphabet[v >> 18 & 63];
        out += base64_alphabet[v >> 12 & 63];
        out += base64_alphabet[v >> 6 & 63];
        out += base64_alphabet[v & 63];
    }
    if (data.size() - i == 1) {
        const unsigned v = byte(i) << 16;
        out += base64_alphabet[v >> 18 & 63];
        out += base64_alphabet[v >> 12 & 63];
        out += "==";
    } else if (data.size() - i == 2) {
        const unsigned v = byte(i) << 16 | byte(i + 1) << 8;
        out += base64_alphabet[v >> 18 & 63];
        out += base64_alphabet[v >> 12 & 63];
        out += base64_alphabet[v >> 6 & 63];
        out += '=';
    }
    return out;
}

// Python's binascii.a2b_base64 (not strict): characters outside the alphabet are skipped, a
// complete pad ends the data.
std::string base64_decode(std::string_view text) {
    std::string out;
    int quad_pos = 0;
    int pads = 0;
    unsigned left = 0;
    for (const char ch : text) {
        if (ch == '=') {
            if (quad_pos >= 2 && quad_pos + ++pads >= 4) return out;
            continue;
        }
        const int v = base64_value(ch);
        if (v < 0) continue;
        const auto value = static_cast<unsigned>(v);
        pads = 0;
        switch (quad_pos) {
            case 0:
                quad_pos = 1;
                left = value;
                break;
            case 1:
                quad_pos = 2;
                out += static_cast<char>((left << 2 | value >> 4) & 0xff);
                left = value & 0x0f;
                break;
            case 2:
                quad_pos = 3;
                out += static_cast<char>((left << 4 | value >> 2) & 0xff);
                left = value & 0x03;
                break;
            default:
                quad_pos = 0;
                out += static_cast<char>((left << 6 | value) & 0xff);
                left = 0;
                break;
        }
    }
    if (quad_pos == 1)
        throw ValueError("Invalid base64-encoded string: number of data characters (" +
                         std::to_string(out.size() / 3 * 4 + 1) + ") cannot be 1 more than a multiple of 4");
    if (quad_pos != 0) throw ValueError("Incorrect padding");
    return out;
}

// ---- cert_time_to_seconds: Python's strptime(text, ' %d %H:%M:%S %Y GMT'), whose pattern is
// \s+(?P<d>3[01]|[12]\d|0[1-9]|[1-9]| [1-9])\s+(?P<H>2[0-3]|[0-1]\d|\d):(?P<M>[0-5]\d|\d):
// (?P<S>6[0-1]|[0-5]\d|\d)\s+(?P<Y>\d\d\d\d)\s+GMT (ignoring case), matched at the start
// with the regular expression's backtracking: each step lists its matches, preferred first.

using Step = std::function<std::vector<std::size_t>(std::string_view s, std::size_t at)>;

// A fixed pattern of digits ('d'), a set given as "lo-hi" pairs, or a literal.
struct Piece {
    char lo, hi;
};
using Alternative = std::vector<Piece>;

std::size_t match_alternative(std::string_view s, std::size_t at, const Alternative& a) {
    for (std::size_t k = 0; k < a.size(); ++k) {
        if (at + k >= s.size()) return std::string_view::npos;
        char c = s[at + k];
        if (a[k].lo >= 'A' && a[k].lo <= 'Z' && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (c < a[k].lo || c > a[k].hi) return std::string_view::npos;
    }
    return at + a.size();
}

Step alternatives(std::vector<Alternative> options) {
    return [options = std::move(options)](std::string_view s, std::size_t at) {
        std::vector<std::size_t> ends;
        for (const Alternative& a : options)
            if (const std::size_t end = match_alternative(s, at, a); end != std::string_view::npos) ends.push_back(end);
        return ends;
    };
}

Step spaces() {
    return [](std::string_view s, std::size_t at) {
        std::size_t end = at;
        while (end < s.size() && is_space(s[end])) ++end;
        std::vector<std::size_t> ends;
        for (std::size_t e = end; e > at; --e) ends.push_back(e);  // greedy: the longest first
        return ends;
    };
}

constexpr Piece digit{'0', '9'};
constexpr Piece nonzero{'1', '9'};
Piece lit(char c) { return Piece{c, c}; }

// The end of the whole match and where each step began, or false.
bool match_steps(const std::vector<Step>& steps, std::size_t index, std::string_view s, std::size_t at,
                 std::vector<std::size_t>& starts, std::size_t& end) {
    if (index == steps.size()) {
        end = at;
        return true;
    }
    for (const std::size_t next : steps[index](s, at)) {
        starts[index] = at;
        starts[index + 1] = next;
        if (match_steps(steps, index + 1, s, next, starts, end)) return true;
    }
    return false;
}

int number(std::string_view s) {
    int n = 0;
    for (const char c : s)
        if (is_digit(c)) n = n * 10 + (c - '0');
    return n;
}

// Days from 1970-01-01 to the given date of the proleptic Gregorian calendar (the day may
// overflow its month, as calendar.timegm allows).
long long days_from_civil(long long y, long long m, long long d) {
    y -= m <= 2;
    const long long era = (y >= 0 ? y : y - 399) / 400;
    const long long yoe = y - era * 400;
    const long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5;
    const long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468 + (d - 1);
}

bool is_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool is_dir(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::string openssl_version() { return OpenSSL_version(OPENSSL_VERSION); }

unsigned long openssl_version_number() { return OpenSSL_version_num(); }

OpenSSLVersionInfo openssl_version_info() {
    // Python's parse_openssl_version.
    unsigned long n = OpenSSL_version_num();
    OpenSSLVersionInfo info;
    info.status = static_cast<int>(n & 0xF);
    n >>= 4;
    info.patch = static_cast<int>(n & 0xFF);
    n >>= 8;
    info.fix = static_cast<int>(n & 0xFF);
    n >>= 8;
    info.minor = static_cast<int>(n & 0xFF);
    n >>= 8;
    info.major = static_cast<int>(n & 0xFF);
    return info;
}

std::string DER_cert_to_PEM_cert(std::string_view der_cert_bytes) {
    const std::string body = base64_encode(der_cert_bytes);
    std::string out(pem_header);
    out += '\n';
    for (std::size_t i = 0; i < body.size(); i += 64) {
        out += body.substr(i, 64);
        out += '\n';
    }
    out += pem_footer;
    out += '\n';
    return out;
}

std::string PEM_cert_to_DER_cert(std::string_view pem_cert_string) {
    if (pem_cert_string.substr(0, pem_header.size()) != pem_header)
        throw ValueError("Invalid PEM encoding; must start with " + std::string(pem_header));
    const std::string_view stripped = strip(pem_cert_string);
    if (stripped.size() < pem_footer.size() || stripped.substr(stripped.size() - pem_footer.size()) != pem_footer)
        throw ValueError("Invalid PEM encoding; must end with " + std::string(pem_footer));
    // Python slices [len(header):-len(footer)]: a text shorter than both gives nothing.
    std::string_view body;
    if (stripped.size() > pem_header.size() + pem_footer.size())
        body = stripped.substr(pem_header.size(), stripped.size() - pem_header.size() - pem_footer.size());
    return base64_decode(body);
}

long long cert_time_to_seconds(std::string_view cert_time) {
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    constexpr const char* time_format = " %d %H:%M:%S %Y GMT";
    // cert_time[:3].title()
    std::string month(cert_time.substr(0, 3));
    bool previous_cased = false;
    for (char& c : month) {
        const bool lower = c >= 'a' && c <= 'z';
        const bool upper = c >= 'A' && c <= 'Z';
        if (lower && !previous_cased) c = static_cast<char>(c - 'a' + 'A');
        if (upper && previous_cased) c = static_cast<char>(c - 'A' + 'a');
        previous_cased = lower || upper;
    }
    int month_number = 0;
    for (int i = 0; i < 12; ++i)
        if (month == months[i]) month_number = i + 1;
    if (month_number == 0)
        throw ValueError("time data " + detail::py_repr(cert_time) + " does not match format \"%b" + time_format +
                         "\"");
    const std::string_view rest = cert_time.substr(3);
    const std::vector<Step> steps = {
        spaces(),
        alternatives({{lit('3'), Piece{'0', '1'}}, {Piece{'1', '2'}, digit}, {lit('0'), nonzero}, {nonzero},
                      {lit(' '), nonzero}}),
        spaces(),
        alternatives({{lit('2'), Piece{'0', '3'}}, {Piece{'0', '1'}, digit}, {digit}}),
        alternatives({{lit(':')}}),
        alternatives({{Piece{'0', '5'}, digit}, {digit}}),
        alternatives({{lit(':')}}),
        alternatives({{lit('6'), Piece{'0', '1'}}, {Piece{'0', '5'}, digit}, {digit}}),
        spaces(),
        alternatives({{digit, digit, digit, digit}}),
        spaces(),
        alternatives({{lit('G'), lit('M'), lit('T')}}),
    };
    std::vector<std::size_t> starts(steps.size() + 1);
    std::size_t end = 0;
    if (!match_steps(steps, 0, rest, 0, starts, end))
        throw ValueError("time data " + detail::py_repr(rest) + " does not match format " + detail::py_repr(time_format));
    if (end != rest.size()) throw ValueError("unconverted data remains: " + std::string(rest.substr(end)));
    auto field = [&](std::size_t step) { return number(rest.substr(starts[step], starts[step + 1] - starts[step])); };
    const int day = field(1);
    const int hour = field(3);
    const int minute = field(5);
    const int second = field(7);
    const int year = field(9);
    if (year == 0) throw ValueError("year 0 is out of range");
    return days_from_civil(year, month_number, day) * 86400 + hour * 3600LL + minute * 60LL + second;
}

DefaultVerifyPaths get_default_verify_paths() {
    DefaultVerifyPaths out;
    out.openssl_cafile_env = X509_get_default_cert_file_env();
    out.openssl_cafile = X509_get_default_cert_file();
    out.openssl_capath_env = X509_get_default_cert_dir_env();
    out.openssl_capath = X509_get_default_cert_dir();
    // The environment's variables shadow OpenSSL's paths.
    const char* file_env = std::getenv(out.openssl_cafile_env.c_str());
    const char* dir_env = std::getenv(out.openssl_capath_env.c_str());
    const std::string cafile = file_env ? file_env : out.openssl_cafile;
    const std::string capath = dir_env ? dir_env : out.openssl_capath;
    if (is_file(cafile)) out.cafile = cafile;
    if (is_dir(capath)) out.capath = capath;
    return out;
}

std::string RAND_bytes(int n) {
    if (n < 0) throw ValueError("num must be positive");
    std::string out(static_cast<std::size_t>(n), '\0');
    if (n == 0) return out;
    if (::RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), n) != 1) {
        // Python: SSLError(code, reason).
        const unsigned long code = ERR_get_error();
        const char* reason = ERR_reason_error_string(code);
        ERR_clear_error();
        throw SSLError(static_cast<int>(code), "[Errno " + std::to_string(code) + "] " + (reason ? reason : "None"));
    }
    return out;
}

bool RAND_status() { return ::RAND_status() == 1; }

}  // namespace concurrence::ssl
