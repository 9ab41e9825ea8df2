// Streams over real connections (CPython's test_streams.py: the StreamTests that open
// connections and servers), and the StreamReaderProtocol / FlowControlMixin cases.
#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <thread>

#include "net_support.hpp"
#include "tls_support.hpp"
#include "streams/reader_state.hpp"
#include "streams/writer_state.hpp"

namespace {

using namespace net_tests;

// TLS's server side on a blocking socket, for the server thread below: an SSLObject over two
// MemoryBIOs (Python's test server wraps its socket in an SSLSocket; there is none here).
class stm_TlsConn {
public:
    stm_TlsConn(net::Socket& conn, const ssl::SSLContext& context)
        : conn_(conn), tls_(context.wrap_bio(incoming_, outgoing_, true)) {}
    bool handshake() {
        for (;;) {
            try {
                tls_.do_handshake();
                flush();
                return true;
            } catch (const ssl::SSLWantReadError&) {
                flush();
                if (!fill()) return false;
            }
        }
    }
    std::string recv() {
        for (;;) {
            try {
                return tls_.read(4096);
            } catch (const ssl::SSLWantReadError&) {
                flush();
                if (!fill()) return {};
            }
        }
    }
    void sendall(std::string_view data) {
        tls_.write(data);
        flush();
    }
    void close_notify() {
        try {
            tls_.unwrap();
        } catch (const ssl::SSLError&) {  // the peer's close_notify is not awaited
        }
        flush();
    }

private:
    void flush() {
        const std::string out = outgoing_.read();
        if (!out.empty()) conn_.sendall(out);
    }
    bool fill() {
        const std::string chunk = conn_.recv(16384);
        if (chunk.empty()) return false;
        incoming_.write(chunk);
        return true;
    }
    net::Socket& conn_;
    ssl::MemoryBIO incoming_;
    ssl::MemoryBIO outgoing_;
    ssl::SSLObject tls_;
};

// CPython's test_utils.run_test_server, in small: a thread answering each connection with an
// HTTP/1.0 response once it read the request's blank line, then closing it. With
// `close_at_once` it closes each accepted connection without reading (test_drain_raises);
// with `use_ssl` it speaks TLS (run_test_server(use_ssl=True)).
class stm_HttpServer {
public:
    explicit stm_HttpServer(bool unix_socket = false, bool close_at_once = false, bool use_ssl = false)
        : close_at_once_(close_at_once) {
        if (use_ssl) tls_context_ = tls_server_context();
        if (unix_socket) {
            char dir_template[] = "/tmp/stm_streams_XXXXXX";
            dir_ = ::mkdtemp(dir_template);
            path_ = dir_ + "/http.sock";
            listener_ = net::Socket(AF_UNIX, SOCK_STREAM);
            listener_.bind(net::Address::unix_path(path_));
        } else {
            listener_ = net::Socket(AF_INET, SOCK_STREAM);
            listener_.bind({"127.0.0.1", 0});
            port_ = listener_.getsockname().port;
        }
        listener_.listen(16);
        thread_ = std::thread([this] { serve(); });
    }
    ~stm_HttpServer() {
        stop_ = true;
        thread_.join();
        listener_.close();
        if (!path_.empty()) {
            ::unlink(path_.c_str());
            ::rmdir(dir_.c_str());
        }
    }
    int port() const { return port_; }
    const std::string& path() const { return path_; }
    int served() const { return served_; }

private:
    void serve() {
        while (!stop_) {
            pollfd p{listener_.fileno(), POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            auto [conn, peer] = listener_.accept();
            ++served_;
            if (close_at_once_) continue;  // conn closes here
            timeval tv{5, 0};
            ::setsockopt(conn.fileno(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            std::string request;
            try {
                std::optional<stm_TlsConn> tls;
                if (tls_context_) {
                    tls.emplace(conn, *tls_context_);
                    if (!tls->handshake()) continue;
                }
                while (request.find("\r\n\r\n") == std::string::npos) {
                    std::string chunk = tls ? tls->recv() : conn.recv(4096);
                    if (chunk.empty()) break;
                    request += chunk;
                }
                const char* response = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nTest message";
                if (tls) {
                    tls->sendall(response);
                    tls->close_notify();
                } else {
                    conn.sendall(response);
                }
            } catch (const concurrence::OSError&) {  // an SSLError too
            }
        }
    }

    net::Socket listener_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<int> served_{0};
    bool close_at_once_;
    std::optional<ssl::SSLContext> tls_context_;
    int port_ = 0;
    std::string dir_;
    std::string path_;
};

// A loop whose exception handler records the messages (Python's `messages` list).
using stm_Loop = RecordingLoop;

using stm_Streams = std::pair<asyncio::StreamReader, asyncio::StreamWriter>;

asyncio::Coro<stm_Streams> stm_open_tcp(int port) { co_return co_await asyncio::open_connection("127.0.0.1", port); }
asyncio::Coro<stm_Streams> stm_open_unix(std::string path) { co_return co_await asyncio::open_unix_connection(path); }

// Python's _basetest_open_connection, as one coroutine: the request, the status line, the
// rest up to EOF.
asyncio::Coro<std::pair<std::string, std::string>> stm_http_get(asyncio::StreamReader reader,
                                                                 asyncio::StreamWriter writer) {
    writer.write("GET / HTTP/1.0\r\n\r\n");
    std::string status = co_await reader.readline();
    std::string rest = co_await reader.read();
    writer.close();
    co_await writer.wait_closed();
    co_return std::pair{status, rest};
}

TEST(StreamNetTest, OpenConnection) {
    const int fds_before = open_fd_count();
    {
        stm_HttpServer httpd;
        stm_Loop l;
        auto [reader, writer] = l.loop.run_until_complete(stm_open_tcp(httpd.port()));
        auto [status, rest] = l.loop.run_until_complete(stm_http_get(reader, writer));
        EXPECT_EQ(status, "HTTP/1.0 200 OK\r\n");
        EXPECT_TRUE(std::string_view(rest).ends_with("\r\n\r\nTest message")) << rest;
        EXPECT_TRUE(reader.at_eof());
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

TEST(StreamNetTest, OpenUnixConnection) {
    const int fds_before = open_fd_count();
    {
        stm_HttpServer httpd(true);
        stm_Loop l;
        auto [reader, writer] = l.loop.run_until_complete(stm_open_unix(httpd.path()));
        auto [status, rest] = l.loop.run_until_complete(stm_http_get(reader, writer));
        EXPECT_EQ(status, "HTTP/1.0 200 OK\r\n");
        EXPECT_TRUE(std::string_view(rest).ends_with("\r\n\r\nTest message")) << rest;
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

// Python's test_utils.dummy_ssl_context(): a client that checks nothing.
ssl::SSLContext stm_dummy_ssl_context() {
    ssl::SSLContext context(ssl::PROTOCOL_TLS_CLIENT);
    context.set_check_hostname(false);
    context.set_verify_mode(ssl::CERT_NONE);
    return context;
}

asyncio::Coro<stm_Streams> stm_open_tls(int port) {
    net::ConnectionOptions options{.ssl = stm_dummy_ssl_context()};
    co_return co_await asyncio::open_connection("127.0.0.1", port, asyncio::default_stream_limit, std::move(options));
}

asyncio::Coro<std::string> stm_read_all(asyncio::StreamReader reader) { co_return co_await reader.read(); }

// Python's test_open_connection_no_loop_ssl.
TEST(StreamNetTest, OpenConnectionNoLoopSsl) {
    const int fds_before = open_fd_count();
    {
        stm_HttpServer httpd(false, false, true);
        stm_Loop l;
        auto [reader, writer] = l.loop.run_until_complete(stm_open_tls(httpd.port()));
        writer.write("GET / HTTP/1.0\r\n\r\n");
        std::string data = l.loop.run_until_complete(stm_read_all(reader));
        EXPECT_TRUE(std::string_view(data).ends_with("\r\n\r\nTest message")) << data;
        writer.close();
        l.loop.run_until_complete(writer.wait_closed());
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

class stm_ZeroDivisionError : public std::runtime_error {
public:
    stm_ZeroDivisionError() : std::runtime_error("division by zero") {}
};

void stm_open_connection_error(bool unix_socket) {
    const int fds_before = open_fd_count();
    {
        stm_HttpServer httpd(unix_socket);
        stm_Loop l;
        auto [reader, writer] = unix_socket ? l.loop.run_until_complete(stm_open_unix(httpd.path()))
                                            : l.loop.run_until_complete(stm_open_tcp(httpd.port()));
        writer.transport().get_protocol().connection_lost(std::make_exception_ptr(stm_ZeroDivisionError()));
        EXPECT_THROW(l.loop.run_until_complete(reader.read()), stm_ZeroDivisionError);
        writer.close();
        run_one_iteration(l.loop);
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

TEST(StreamNetTest, OpenConnectionError) { stm_open_connection_error(false); }
TEST(StreamNetTest, OpenUnixConnectionError) { stm_open_connection_error(true); }

TEST(StreamNetTest, OpenConnectionRefused) {
    int port = 0;
    {
        net::Socket s = listener();
        port = s.getsockname().port;
    }  // nothing listens there now
    stm_Loop l;
    EXPECT_THROW(l.loop.run_until_complete(stm_open_tcp(port)), concurrence::ConnectionRefusedError);
}

asyncio::Coro<> stm_echo_line_handler_fwd(asyncio::StreamReader reader, asyncio::StreamWriter writer);

asyncio::Coro<stm_Streams> stm_open_with_limit(int port, std::size_t limit) {
    co_return co_await asyncio::open_connection("127.0.0.1", port, limit);
}

asyncio::Coro<asyncio::Server> stm_server_with_limit(std::size_t limit) {
    co_return co_await asyncio::start_server(stm_echo_line_handler_fwd, "127.0.0.1", 0, limit);
}

TEST(StreamNetTest, InvalidLimitFailsBeforeConnecting) {
    const int fds_before = open_fd_count();
    {
        net::Socket server = listener();
        const int port = server.getsockname().port;
        stm_Loop l;
        EXPECT_THROW(l.loop.run_until_complete(stm_open_with_limit(port, 0)), concurrence::ValueError);
        EXPECT_THROW(l.loop.run_until_complete(stm_server_with_limit(0)), concurrence::ValueError);
        // No connection was opened for nothing.
        EXPECT_THROW(server.accept(), concurrence::BlockingIOError);
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

// ---- start_server / start_unix_server (Python's MyServer)

asyncio::Coro<> stm_echo_line_handler(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
    std::string data = co_await reader.readline();
    writer.write(data);
    co_await writer.drain();
    writer.close();
    co_await writer.wait_closed();
}

asyncio::Coro<> stm_echo_line_handler_fwd(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
    return stm_echo_line_handler(std::move(reader), std::move(writer));
}

// Python's handle_client_callback: a plain function that starts the handler as a task.
void stm_echo_line_callback(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
    asyncio::get_running_loop().create_task(stm_echo_line_handler(std::move(reader), std::move(writer)));
}

asyncio::Coro<std::string> stm_line_client(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
    writer.write("hello world!\n");
    std::string back = co_await reader.readline();
    writer.close();
    co_await writer.wait_closed();
    co_return back;
}

template <class Callback>
asyncio::Coro<std::string> stm_server_round_trip(Callback callback) {
    asyncio::Server server = co_await asyncio::start_server(callback, "127.0.0.1", 0);
    const int port = server.sockets().at(0).getsockname().port;
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
    std::string back = co_await stm_line_client(reader, writer);
    server.close();
    co_await server.wait_closed();
    co_return back;
}

template <class Callback>
asyncio::Coro<std::string> stm_unix_server_round_trip(Callback callback, std::string path) {
    asyncio::Server server = co_await asyncio::start_unix_server(callback, path);
    auto [reader, writer] = co_await asyncio::open_unix_connection(path);
    std::string back = co_await stm_line_client(reader, writer);
    server.close();
    co_await server.wait_closed();
    co_return back;
}

TEST(StreamNetTest, StartServer) {
    const int fds_before = open_fd_count();
    {
        stm_Loop l;
        EXPECT_EQ(l.loop.run_until_complete(stm_server_round_trip(stm_echo_line_handler)), "hello world!\n");
        EXPECT_EQ(l.loop.run_until_complete(stm_server_round_trip(stm_echo_line_callback)), "hello world!\n");
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

asyncio::Coro<std::string> stm_server_on_socket(int* port_out) {
    // Python's MyServer.start(): start_server(sock=socket.create_server(...)).
    net::Socket sock = listener();
    *port_out = sock.getsockname().port;
    net::ServerOptions options;  // not a temporary in the co_await's full-expression (g++ 12)
    options.sock = std::move(sock);
    asyncio::Server server =
        co_await asyncio::start_server(stm_echo_line_handler, "", 0, asyncio::default_stream_limit, std::move(options));
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", *port_out);
    std::string back = co_await stm_line_client(reader, writer);
    server.close();
    co_await server.wait_closed();
    co_return back;
}

TEST(StreamNetTest, StartServerOnAGivenSocket) {
    const int fds_before = open_fd_count();
    {
        stm_Loop l;
        int port = 0;
        EXPECT_EQ(l.loop.run_until_complete(stm_server_on_socket(&port)), "hello world!\n");
        EXPECT_NE(port, 0);
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

TEST(StreamNetTest, StartServerWithTheEagerTaskFactory) {
    // The handler's first step runs inside connection_made.
    const int fds_before = open_fd_count();
    {
        stm_Loop l;
        l.loop.set_task_factory(asyncio::eager_task_factory);
        EXPECT_EQ(l.loop.run_until_complete(stm_server_round_trip(stm_echo_line_handler)), "hello world!\n");
        EXPECT_EQ(l.loop.run_until_complete(stm_server_round_trip(stm_echo_line_callback)), "hello world!\n");
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

TEST(StreamNetTest, StartUnixServer) {
    const int fds_before = open_fd_count();
    char dir_template[] = "/tmp/stm_unix_XXXXXX";
    const std::string dir = ::mkdtemp(dir_template);
    {
        stm_Loop l;
        EXPECT_EQ(l.loop.run_until_complete(stm_unix_server_round_trip(stm_echo_line_handler, dir + "/a.sock")),
                  "hello world!\n");
        EXPECT_EQ(l.loop.run_until_complete(stm_unix_server_round_trip(stm_echo_line_callback, dir + "/b.sock")),
                  "hello world!\n");
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    ::unlink((dir + "/a.sock").c_str());
    ::unlink((dir + "/b.sock").c_str());
    ::rmdir(dir.c_str());
    EXPECT_EQ(open_fd_count(), fds_before);
}

// ---- drain

asyncio::Coro<> stm_write_forever(int port) {
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
    for (;;) {
        writer.write("foo\n");
        co_await writer.drain();
    }
}

TEST(StreamNetTest, DrainRaises) {
    // bpo-25441: write(); drain() in a loop must see the peer's close, not spin forever.
    const int fds_before = open_fd_count();
    {
        stm_HttpServer server(false, true);
        stm_Loop l;
        try {
            l.loop.run_until_complete(stm_write_forever(server.port()));
            ADD_FAILURE() << "no exception";
        } catch (const concurrence::ConnectionResetError&) {
        } catch (const concurrence::ConnectionAbortedError&) {
        } catch (const concurrence::BrokenPipeError&) {
        }
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

asyncio::Coro<int> stm_drainer(asyncio::StreamReaderProtocol& protocol) {
    co_await protocol.drain_helper();
    co_return 1;
}

asyncio::Coro<int> stm_multiple_drain(asyncio::StreamReaderProtocol& protocol) {
    protocol.pause_writing();
    asyncio::get_running_loop().call_later(0.01, [&protocol] { protocol.resume_writing(); });
    std::vector<asyncio::Coro<int>> drainers;
    for (int i = 0; i < 10; ++i) drainers.push_back(stm_drainer(protocol));
    std::vector<int> done = co_await asyncio::gather(std::move(drainers));
    int drained = 0;
    for (int d : done) drained += d;
    co_return drained;
}

TEST(StreamNetTest, MultipleDrain) {
    // gh-74116: every writer waiting in drain() wakes when writing resumes.
    asyncio::EventLoop loop;
    auto protocol = std::make_shared<asyncio::StreamReaderProtocol>(loop, asyncio::StreamReader());
    EXPECT_EQ(loop.run_until_complete(stm_multiple_drain(*protocol)), 10);
}

asyncio::Coro<std::vector<std::string>> stm_drain_outcomes_when_lost(asyncio::StreamReaderProtocol& protocol,
                                                                     std::exception_ptr exc) {
    protocol.pause_writing();
    std::vector<asyncio::Task<std::string>> drains;
    for (int i = 0; i < 3; ++i) drains.push_back(asyncio::create_task(outcome_of(protocol.drain_helper())));
    co_await asyncio::sleep(0);
    protocol.connection_lost(exc);
    std::vector<std::string> out;
    for (auto& t : drains) out.push_back(co_await t);
    // Once lost, drain_helper says so at once.
    out.push_back(co_await outcome_of(protocol.drain_helper()));
    co_return out;
}

TEST(StreamNetTest, ConnectionLostWakesPausedDrains) {
    {
        asyncio::EventLoop loop;
        auto protocol = std::make_shared<asyncio::StreamReaderProtocol>(loop, asyncio::StreamReader());
        EXPECT_EQ(loop.run_until_complete(stm_drain_outcomes_when_lost(*protocol, nullptr)),
                  (std::vector<std::string>{"ok", "ok", "ok", "OSError 104"}));
    }
    {
        asyncio::EventLoop loop;
        auto protocol = std::make_shared<asyncio::StreamReaderProtocol>(loop, asyncio::StreamReader());
        EXPECT_EQ(loop.run_until_complete(stm_drain_outcomes_when_lost(*protocol, concurrence::os_error(EPIPE))),
                  (std::vector<std::string>{"OSError 32", "OSError 32", "OSError 32", "OSError 104"}));
    }
}

asyncio::Coro<std::string> stm_drain_helper_message(asyncio::StreamReaderProtocol& protocol) {
    try {
        co_await protocol.drain_helper();
    } catch (const concurrence::ConnectionResetError& e) {
        co_return e.what();
    }
    co_return "ok";
}

TEST(StreamNetTest, StreamReaderProtocolConstructor) {
    // Python's test_streamreaderprotocol_constructor_*: the protocol feeds the reader it was
    // given (the same stream), and drain after connection_lost says "Connection lost".
    asyncio::EventLoop loop;
    asyncio::StreamReader reader(100);
    auto protocol = std::make_shared<asyncio::StreamReaderProtocol>(loop, reader);
    EXPECT_EQ(&protocol->reader().state(), &reader.state());
    protocol->data_received("data");
    EXPECT_TRUE(protocol->eof_received());  // keep the transport open: this side may still write
    EXPECT_EQ(loop.run_until_complete(reader.read()), "data");
    EXPECT_EQ(loop.run_until_complete(stm_drain_helper_message(*protocol)), "ok");
    protocol->connection_lost(nullptr);
    EXPECT_EQ(loop.run_until_complete(stm_drain_helper_message(*protocol)), "Connection lost");
}

asyncio::Coro<std::string> stm_wait_closed_outcome(std::shared_ptr<asyncio::StreamReaderProtocol> protocol) {
    co_return co_await outcome_of(protocol->wait_closed());
}

TEST(StreamNetTest, WaitClosedRethrowsTheConnectionError) {
    asyncio::EventLoop loop;
    auto protocol = std::make_shared<asyncio::StreamReaderProtocol>(loop, asyncio::StreamReader());
    auto before = loop.create_task(stm_wait_closed_outcome(protocol));
    run_one_iteration(loop);
    protocol->connection_lost(concurrence::os_error(ECONNRESET));
    EXPECT_EQ(loop.run_until_complete(before), "OSError 104");
    // Every later wait_closed() says it again (Python's _closed future).
    EXPECT_EQ(loop.run_until_complete(stm_wait_closed_outcome(protocol)), "OSError 104");
    EXPECT_EQ(loop.run_until_complete(stm_wait_closed_outcome(protocol)), "OSError 104");
}

asyncio::Coro<std::string> stm_cancel_waits_repeatedly(asyncio::StreamReaderProtocol& protocol) {
    protocol.pause_writing();
    for (int i = 0; i < 100; ++i) {
        auto drain = asyncio::create_task(protocol.drain_helper());
        auto closed = asyncio::create_task(protocol.wait_closed());
        co_await asyncio::sleep(0);
        drain.cancel();
        closed.cancel();
        co_await asyncio::sleep(0);
    }
    EXPECT_LE(protocol.waiter_count(), 2u);
    // The waits still work.
    auto drain = asyncio::create_task(outcome_of(protocol.drain_helper()));
    auto closed = asyncio::create_task(outcome_of(protocol.wait_closed()));
    co_await asyncio::sleep(0);
    protocol.resume_writing();
    std::string drained = co_await drain;
    protocol.connection_lost(nullptr);
    std::string was_closed = co_await closed;
    co_return drained + " " + was_closed;
}

TEST(StreamNetTest, CancelledDrainsAndWaitClosedDoNotPileUp) {
    asyncio::EventLoop loop;
    auto protocol = std::make_shared<asyncio::StreamReaderProtocol>(loop, asyncio::StreamReader());
    EXPECT_EQ(loop.run_until_complete(stm_cancel_waits_repeatedly(*protocol)), "ok ok");
}

// ---- wait_closed, the writer's API

asyncio::Coro<std::string> stm_status_then_close(int port, bool read_all) {
    auto [rd, wr] = co_await asyncio::open_connection("127.0.0.1", port);
    wr.write("GET / HTTP/1.0\r\n\r\n");
    std::string status = co_await rd.readline();
    if (read_all) {
        std::string rest = co_await rd.read();
        EXPECT_TRUE(std::string_view(rest).ends_with("\r\n\r\nTest message"));
    }
    const bool closing_before = wr.is_closing();
    wr.close();
    const bool closing_after = wr.is_closing();
    EXPECT_FALSE(closing_before);
    EXPECT_TRUE(closing_after);
    co_await wr.wait_closed();
    co_await wr.wait_closed();  // again: at once
    co_return status;
}

TEST(StreamNetTest, WaitClosedOnClose) {
    const int fds_before = open_fd_count();
    {
        stm_HttpServer httpd;
        stm_Loop l;
        EXPECT_EQ(l.loop.run_until_complete(stm_status_then_close(httpd.port(), true)), "HTTP/1.0 200 OK\r\n");
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

TEST(StreamNetTest, WaitClosedOnCloseWithUnreadData) {
    const int fds_before = open_fd_count();
    {
        stm_HttpServer httpd;
        stm_Loop l;
        EXPECT_EQ(l.loop.run_until_complete(stm_status_then_close(httpd.port(), false)), "HTTP/1.0 200 OK\r\n");
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

asyncio::Coro<std::string> stm_async_writer_api(int port) {
    auto [rd, wr] = co_await asyncio::open_connection("127.0.0.1", port);
    wr.write("GET / HTTP/1.0\r\n\r\n");
    std::string status = co_await rd.readline();
    std::string rest = co_await rd.read();
    EXPECT_TRUE(std::string_view(rest).ends_with("\r\n\r\nTest message"));
    wr.close();
    co_await wr.wait_closed();
    co_return status;
}

TEST(StreamNetTest, AsyncWriterApi) {
    const int fds_before = open_fd_count();
    {
        stm_HttpServer httpd;
        stm_Loop l;
        EXPECT_EQ(l.loop.run_until_complete(stm_async_writer_api(httpd.port())), "HTTP/1.0 200 OK\r\n");
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

asyncio::Coro<std::string> stm_write_after_close(int port) {
    auto [rd, wr] = co_await asyncio::open_connection("127.0.0.1", port);
    wr.write("GET / HTTP/1.0\r\n\r\n");
    std::string status = co_await rd.readline();
    std::string rest = co_await rd.read();
    EXPECT_TRUE(std::string_view(rest).ends_with("\r\n\r\nTest message"));
    wr.close();
    std::string outcome = "no exception";
    try {
        wr.write("data");
        co_await wr.drain();
    } catch (const concurrence::ConnectionResetError& e) {
        outcome = e.what();
    }
    co_return outcome;
}

TEST(StreamNetTest, AsyncWriterApiExceptionAfterClose) {
    const int fds_before = open_fd_count();
    {
        stm_HttpServer httpd;
        stm_Loop l;
        EXPECT_EQ(l.loop.run_until_complete(stm_write_after_close(httpd.port())), "Connection lost");
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

asyncio::Coro<std::string> stm_close_then_read(asyncio::StreamReader rd, asyncio::StreamWriter wr) {
    wr.close();
    co_await wr.wait_closed();
    const bool eof = rd.at_eof();
    EXPECT_TRUE(eof);
    co_return co_await rd.read();
}

TEST(StreamNetTest, EofFeedWhenClosingWriter) {
    // bpo-35065: closing the writer ends the reader with EOF.
    const int fds_before = open_fd_count();
    {
        stm_HttpServer httpd;
        stm_Loop l;
        auto [rd, wr] = l.loop.run_until_complete(stm_open_tcp(httpd.port()));
        EXPECT_EQ(l.loop.run_until_complete(stm_close_then_read(rd, wr)), "");
        EXPECT_TRUE(rd.at_eof());
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

asyncio::Coro<bool> stm_drop_the_writer(int port) {
    asyncio::StreamReader rd;
    std::weak_ptr<asyncio::BaseTransport> transport;
    {
        auto [r, wr] = co_await asyncio::open_connection("127.0.0.1", port);
        rd = r;
        wr.write("GET / HTTP/1.0\r\n\r\n");
        std::string status = co_await rd.readline();
        EXPECT_EQ(status, "HTTP/1.0 200 OK\r\n");
        std::string rest = co_await rd.read();
        EXPECT_TRUE(std::string_view(rest).ends_with("\r\n\r\nTest message"));
        transport = wr.transport().weak_from_this();
        EXPECT_FALSE(wr.is_closing());
    }  // the last StreamWriter handle goes: Python's __del__ closes the transport
    auto t = transport.lock();
    const bool closing = t && t->is_closing();
    t.reset();
    for (int i = 0; i < 5; ++i) co_await asyncio::sleep(0);  // connection_lost runs
    co_return closing && transport.expired();
}

TEST(StreamNetTest, UnclosedWriterIsClosedWhenDropped) {
    // Python's test_unclosed_resource_warnings: an unclosed StreamWriter is closed when it goes.
    const int fds_before = open_fd_count();
    {
        stm_HttpServer httpd;
        stm_Loop l;
        EXPECT_TRUE(l.loop.run_until_complete(stm_drop_the_writer(httpd.port())));
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

// ---- the writer's other methods

asyncio::Coro<> stm_reply_after_eof(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
    std::string all = co_await reader.read();
    writer.write("got " + std::to_string(all.size()) + ": " + all);
    co_await writer.drain();
    writer.close();
    co_await writer.wait_closed();
}

asyncio::Coro<std::string> stm_half_close_session() {
    asyncio::Server server = co_await asyncio::start_server(stm_reply_after_eof, "127.0.0.1", 0);
    const int port = server.sockets().at(0).getsockname().port;
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
    EXPECT_TRUE(writer.can_write_eof());
    std::vector<std::string> parts{"a", "bc", "", "def"};
    writer.writelines(parts);
    writer.write_eof();
    std::string reply = co_await reader.read();  // the server answered after our EOF
    writer.close();
    co_await writer.wait_closed();
    server.close();
    co_await server.wait_closed();
    co_return reply;
}

TEST(StreamNetTest, WritelinesAndWriteEofHalfClose) {
    const int fds_before = open_fd_count();
    {
        stm_Loop l;
        EXPECT_EQ(l.loop.run_until_complete(stm_half_close_session()), "got 6: abcdef");
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

asyncio::Coro<> stm_quiet_handler(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
    co_await reader.read();
    writer.close();
}

asyncio::Coro<bool> stm_extra_info_session() {
    asyncio::Server server = co_await asyncio::start_server(stm_quiet_handler, "127.0.0.1", 0);
    const net::Address where = server.sockets().at(0).getsockname();
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", where.port);
    const auto peer = writer.get_extra_info<net::Address>("peername");
    const auto sock = writer.get_extra_info<net::Address>("sockname");
    const auto fd = writer.get_extra_info<int>("socket");
    const bool unknown_is_empty = !writer.get_extra_info("no such thing").has_value();
    writer.close();
    co_await writer.wait_closed();
    server.close();
    co_await server.wait_closed();
    co_return peer == where && sock && sock->host == "127.0.0.1" && sock->port != where.port && fd && *fd >= 0 &&
        unknown_is_empty;
}

TEST(StreamNetTest, GetExtraInfo) {
    const int fds_before = open_fd_count();
    {
        stm_Loop l;
        EXPECT_TRUE(l.loop.run_until_complete(stm_extra_info_session()));
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

// A server connection whose handler only reads when told (for the drain tests).
struct stm_SlowPeer {
    std::string received;
    std::unique_ptr<asyncio::Event> go;
    bool finished = false;
};

asyncio::Coro<> stm_slow_peer_handler(asyncio::StreamReader reader, asyncio::StreamWriter writer,
                                      std::shared_ptr<stm_SlowPeer> peer) {
    co_await peer->go->wait();
    peer->received = co_await reader.read();
    peer->finished = true;
    writer.close();
    co_await writer.wait_closed();
}

asyncio::Coro<> stm_drain_task(asyncio::StreamWriter writer, std::shared_ptr<int> drained) {
    co_await writer.drain();
    ++*drained;
}

asyncio::Coro<bool> stm_drain_paused_session() {
    auto peer = std::make_shared<stm_SlowPeer>();
    peer->go = std::make_unique<asyncio::Event>();
    auto callback = [peer](asyncio::StreamReader r, asyncio::StreamWriter w) {
        return stm_slow_peer_handler(std::move(r), std::move(w), peer);
    };
    asyncio::Server server = co_await asyncio::start_server(callback, "127.0.0.1", 0);
    const int port = server.sockets().at(0).getsockname().port;
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
    // Fill the socket and then the transport's buffer past its high-water mark.
    const std::string chunk = pattern_bytes(64 * 1024);
    std::string sent;
    int rounds = 0;
    while (writer.transport().get_write_buffer_size() <= 64 * 1024 && rounds < 4096) {
        writer.write(chunk);
        sent += chunk;
        ++rounds;
        co_await asyncio::sleep(0);
    }
    EXPECT_GT(writer.transport().get_write_buffer_size(), 64u * 1024u);
    // Several writers wait in drain() meanwhile (test_multiple_drain over a real connection).
    auto drained = std::make_shared<int>(0);
    std::vector<asyncio::Task<void>> drains;
    for (int i = 0; i < 5; ++i) drains.push_back(asyncio::create_task(stm_drain_task(writer, drained)));
    for (int i = 0; i < 10; ++i) co_await asyncio::sleep(0);
    const int drained_while_paused = *drained;
    peer->go->set();
    for (auto& d : drains) co_await d;
    const bool under_low = writer.transport().get_write_buffer_size() <= 16 * 1024;
    writer.write_eof();
    while (!peer->finished) co_await asyncio::sleep(0.001);
    writer.close();
    co_await writer.wait_closed();
    server.close();
    co_await server.wait_closed();
    EXPECT_EQ(drained_while_paused, 0);
    EXPECT_EQ(*drained, 5);
    EXPECT_TRUE(under_low);
    co_return peer->received == sent;
}

TEST(StreamNetTest, DrainWaitsWhilePausedThenWakesEveryWriter) {
    const int fds_before = open_fd_count();
    {
        stm_Loop l;
        EXPECT_TRUE(l.loop.run_until_complete(stm_drain_paused_session()));
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

asyncio::Coro<std::string> stm_read_all_with_limit_one(net::Socket sock) {
    net::ConnectionOptions options;  // not a temporary in the co_await's full-expression (g++ 12)
    options.sock = std::move(sock);
    auto [reader, writer] = co_await asyncio::open_connection("", 0, 1, std::move(options));
    std::string all = co_await reader.read();
    writer.close();
    co_await writer.wait_closed();
    co_return all;
}

TEST(StreamNetTest, ReadAllFromPipeReader) {
    // Python's test_read_all_from_pipe_reader (asyncio issue 168), adapted: concurrence has no
    // connect_read_pipe nor subprocesses, so the peer is a socketpair's other end. The limit
    // is 1, so that the data is more than twice the limit and reading pauses; read() must
    // still get all of it.
    const int fds_before = open_fd_count();
    {
        auto [ours, theirs] = net::socketpair();
        theirs.sendall("data");
        theirs.close();
        stm_Loop l;
        EXPECT_EQ(l.loop.run_until_complete(stm_read_all_with_limit_one(std::move(ours))), "data");
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

}  // namespace
