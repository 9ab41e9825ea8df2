// W5 (http): a minimal HTTP/1.1 keep-alive server answering "GET /" with "Hello, World!",
// the harness's parser (split on CRLFCRLF, "GET / " -> 200, else 404, pipelining-safe), as
// ../shared/peers/python/http_server.py does it with an asyncio.Protocol. wrk loads it.
//
//   bench_w5_http_server PORT
#include <concurrence/asyncio.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

namespace asyncio = concurrence::asyncio;

namespace {

constexpr std::string_view ok =
    "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";
constexpr std::string_view not_found = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
constexpr std::size_t max_head = 64 * 1024;

class HttpProtocol : public asyncio::Protocol {
public:
    void connection_made(asyncio::Transport& transport) override { transport_ = &transport; }

    void data_received(std::string_view data) override {
        // Parse from the transport's buffer when nothing is pending (the usual case: one whole
        // request per read); keep only an incomplete tail.
        std::string_view input = data;
        if (!pending_.empty()) {
            pending_.append(data);
            input = pending_;
        }
        std::size_t start = 0;
        out_.clear();
        for (;;) {
            const std::size_t end = input.find("\r\n\r\n", start);
            if (end == std::string_view::npos) break;
            out_ += input.substr(start, 6) == "GET / " ? ok : not_found;
            start = end + 4;
        }
        if (!out_.empty()) transport_->write(out_);
        std::string rest(input.substr(start));
        pending_ = std::move(rest);
        if (pending_.size() >= max_head) transport_->close();  // header too large
    }

private:
    asyncio::Transport* transport_ = nullptr;
    std::string pending_;
    std::string out_;
};

asyncio::Coro<> serve(asyncio::Server server) { co_await server.serve_forever(); }

asyncio::Coro<> run_server(int port) {
    auto& loop = asyncio::get_running_loop();
    auto make_protocol = [] { return std::make_shared<HttpProtocol>(); };
    co_await serve(co_await loop.create_server(make_protocol, "127.0.0.1", port, {.backlog = 1024}));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    asyncio::run(run_server(std::atoi(argv[1])));
}
