// W4 (echo): the server side; the harness's C client loads it and prints the RESULT line.
//
//   bench_w4_echo_server PORT [protocol|streams]
//
// protocol: Python's asyncio.Protocol echo (data_received writes back), the fast path;
// streams: asyncio.start_server with reader.read / writer.write / drain, what most programs
// write. Both are ../shared/peers/python/echo_server.py line by line.
#include <concurrence/asyncio.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

namespace asyncio = concurrence::asyncio;

namespace {

class EchoProtocol : public asyncio::Protocol {
public:
    void connection_made(asyncio::Transport& transport) override { transport_ = &transport; }
    void data_received(std::string_view data) override { transport_->write(data); }

private:
    asyncio::Transport* transport_ = nullptr;
};

asyncio::Coro<> handle(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
    try {
        for (;;) {
            std::string data = co_await reader.read(65536);
            if (data.empty()) break;
            writer.write(data);
            co_await writer.drain();
        }
    } catch (const concurrence::ConnectionError&) {
    }
    writer.close();
}

asyncio::Coro<> serve(asyncio::Server server) { co_await server.serve_forever(); }

asyncio::Coro<> run_server(int port, bool streams) {
    auto& loop = asyncio::get_running_loop();
    // (Not `?:` around co_await: g++ 12 miscompiles it.)
    if (streams) {
        co_await serve(co_await asyncio::start_server(handle, "127.0.0.1", port, asyncio::default_stream_limit,
                                                      {.backlog = 1024}));
    } else {
        auto make_protocol = [] { return std::make_shared<EchoProtocol>(); };
        co_await serve(co_await loop.create_server(make_protocol, "127.0.0.1", port, {.backlog = 1024}));
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s PORT [protocol|streams]\n", argv[0]);
        return 2;
    }
    const bool streams = argc > 2 && std::string_view(argv[2]) == "streams";
    asyncio::run(run_server(std::atoi(argv[1]), streams));
}
