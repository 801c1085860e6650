package dev.jamesmtasts.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * An HTTPS server for tests on 127.0.0.1 (ephemeral port) that presents a certificate chosen by the
 * SNI host name and answers each host with a programmed {@link Response}.
 *
 * <pre>
 * TestCa ca = TestCa.create("test CA");
 * try (TestHttpsServer https = TestHttpsServer.start()) {
 *     https.host("mta-sts.example.com", ca.issue("mta-sts.example.com"),
 *                TestHttpsServer.Response.ok("version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n"));
 *     ... fetch https://mta-sts.example.com:{https.port()}/.well-known/mta-sts.txt trusting ca ...
 *     assertThat(https.requests("mta-sts.example.com")).isEqualTo(1);
 * }
 * </pre>
 *
 * A client that sends no SNI, or an SNI host without a certificate, gets a failed handshake. Hosts,
 * certificates and responses can be changed while the server runs. {@link #close()} returns promptly
 * even while a {@link Response#trickle(Duration) trickling} response is being written.
 */
public final class TestHttpsServer implements AutoCloseable {
    private final SSLServerSocket server;
    private final ExecutorService threads;
    private final Map<String, Entry> certificates = new ConcurrentHashMap<>();
    private final Map<String, Response> responses = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requestCounts = new ConcurrentHashMap<>();
    private final Map<String, String> lastRequests = new ConcurrentHashMap<>();
    private final Map<String, byte[]> lastBodies = new ConcurrentHashMap<>();
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private TestHttpsServer(SSLServerSocket server) {
        this.server = server;
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "test-https-" + server.getLocalPort());
            t.setDaemon(true);
            return t;
        });
        threads.execute(this::acceptLoop);
    }

    /** Starts a server on 127.0.0.1 on an ephemeral port, with no hosts yet. */
    public static TestHttpsServer start() throws IOException {
        return start(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
    }

    /** Starts a server on {@code bind} (e.g. port 443 inside a private network namespace), with no hosts yet. */
    public static TestHttpsServer start(InetSocketAddress bind) throws IOException {
        SniKeyManager keys = new SniKeyManager();
        SSLServerSocket socket;
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(new KeyManager[] {keys}, null, null);
            socket = (SSLServerSocket) ctx.getServerSocketFactory()
                    .createServerSocket(bind.getPort(), 50, bind.getAddress());
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
        TestHttpsServer s = new TestHttpsServer(socket);
        keys.server = s;
        return s;
    }

    /** The port to connect to. */
    public int port() {
        return server.getLocalPort();
    }

    /** The listening address and {@link #port()}. */
    public InetSocketAddress address() {
        return new InetSocketAddress(server.getInetAddress(), port());
    }

    /** Serves {@code host} (the SNI name) with {@code certificate} and {@code response}. */
    public TestHttpsServer host(String host, TestCa.Issued certificate, Response response) {
        certificate(host, certificate);
        return respond(host, response);
    }

    /**
     * Presents {@code certificate} to clients asking for {@code host} by SNI, whatever names the
     * certificate holds (so a certificate for another name, an expired one or one from another CA can
     * be served).
     */
    public TestHttpsServer certificate(String host, TestCa.Issued certificate) {
        certificates.put(lower(host), Entry.of(certificate));
        return this;
    }

    /** Answers every request to {@code host} with {@code response} (replacing any earlier one). */
    public TestHttpsServer respond(String host, Response response) {
        responses.put(lower(host), response);
        return this;
    }

    /** How many complete requests (head, and body by its Content-Length) arrived for {@code host} (by SNI). */
    public int requests(String host) {
        AtomicInteger c = requestCounts.get(lower(host));
        return c == null ? 0 : c.get();
    }

    /** The last request head (request line and headers) received for {@code host}, or null. */
    public String lastRequest(String host) {
        return lastRequests.get(lower(host));
    }

    /**
     * The body of the last request received for {@code host} (as many bytes as its Content-Length
     * said, at most {@value #MAX_BODY} bytes), empty for a request without Content-Length, or null.
     * Recorded before the response is written.
     */
    public byte[] lastRequestBody(String host) {
        byte[] b = lastBodies.get(lower(host));
        return b == null ? null : b.clone();
    }

    /** Stops listening, drops all connections (including trickling ones) and stops the threads. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        threads.shutdownNow(); // interrupts trickling writers sleeping between bytes
        for (Socket s : connections) {
            closeQuietly(s);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = server.accept();
                connections.add(s);
                threads.execute(() -> serve((SSLSocket) s));
            } catch (IOException | RuntimeException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void serve(SSLSocket socket) {
        try (socket) {
            socket.setSoTimeout(30_000);
            socket.startHandshake();
            String host = sniHost(socket.getSession());
            String head = readHead(socket.getInputStream());
            if (head == null || host == null) {
                return;
            }
            lastRequests.put(host, head);
            lastBodies.put(host, readBody(socket.getInputStream(), head));
            requestCounts.computeIfAbsent(host, k -> new AtomicInteger()).incrementAndGet();
            Response response = responses.getOrDefault(host, Response.status(404));
            response.writeTo(socket.getOutputStream());
            if (response.hold) {
                // Keep the connection open, saying nothing more, until the client closes it.
                while (socket.getInputStream().read() >= 0) {
                    // discard
                }
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            // client went away, handshake refused by the client, or the server is closing
        } finally {
            connections.remove(socket);
        }
    }

    /** The largest request body recorded. */
    public static final int MAX_BODY = 64 * 1024 * 1024;

    /** The request body by its Content-Length (none: empty). */
    private static byte[] readBody(InputStream in, String head) throws IOException {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
                long length = Long.parseLong(line.substring(colon + 1).trim());
                if (length > MAX_BODY) {
                    throw new IOException("request body too large for the test server: " + length);
                }
                byte[] body = in.readNBytes((int) length);
                if (body.length < length) {
                    throw new IOException("request body cut short");
                }
                return body;
            }
        }
        return new byte[0];
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (head.size() < 16384) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            head.write(c);
            matched = c == end[matched] ? matched + 1 : (c == '\r' ? 1 : 0);
            if (matched == 4) {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    private static String sniHost(SSLSession session) {
        if (!(session instanceof ExtendedSSLSession)) {
            return null;
        }
        for (SNIServerName name : ((ExtendedSSLSession) session).getRequestedServerNames()) {
            if (name instanceof SNIHostName) {
                return lower(((SNIHostName) name).getAsciiName());
            }
        }
        return null;
    }

    private static String lower(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /**
     * What to send for a request: status, headers and body, framed with Content-Length (default),
     * chunked, or delimited by closing the connection; optionally written one byte at a time.
     * Immutable; each method returns a modified copy.
     */
    public static final class Response {
        private final int status;
        private final Map<String, String> headers;
        private final byte[] body;
        private final Framing framing;
        private final Duration trickle;
        private final boolean hold;

        private enum Framing { CONTENT_LENGTH, CHUNKED, CLOSE, RAW }

        private Response(int status, Map<String, String> headers, byte[] body, Framing framing, Duration trickle) {
            this(status, headers, body, framing, trickle, false);
        }

        private Response(int status, Map<String, String> headers, byte[] body, Framing framing, Duration trickle,
                         boolean hold) {
            this.status = status;
            this.headers = headers;
            this.body = body;
            this.framing = framing;
            this.trickle = trickle;
            this.hold = hold;
        }

        /** 200, {@code Content-Type: text/plain; charset=utf-8}, the body in UTF-8. */
        public static Response ok(String body) {
            return ok(body.getBytes(StandardCharsets.UTF_8));
        }

        /** 200, {@code Content-Type: text/plain; charset=utf-8}, the given body bytes. */
        public static Response ok(byte[] body) {
            Map<String, String> h = new LinkedHashMap<>();
            h.put("Content-Type", "text/plain; charset=utf-8");
            return new Response(200, h, body.clone(), Framing.CONTENT_LENGTH, null);
        }

        /** The given status with a short text/plain body. */
        public static Response status(int status) {
            Map<String, String> h = new LinkedHashMap<>();
            h.put("Content-Type", "text/plain");
            return new Response(status, h, ("status " + status + "\n").getBytes(StandardCharsets.US_ASCII),
                    Framing.CONTENT_LENGTH, null);
        }

        /**
         * Exactly these bytes (ISO-8859-1) instead of a well-formed response, then the connection is
         * closed: for malformed status lines, broken chunk framing, truncated bodies.
         */
        public static Response raw(String bytes) {
            return new Response(0, Map.of(), bytes.getBytes(StandardCharsets.ISO_8859_1), Framing.RAW, null);
        }

        /** A redirect ({@code status} 3xx) to {@code location}. */
        public static Response redirect(int status, String location) {
            return status(status).header("Location", location);
        }

        /** Sets (or with {@code null} removes) a header; {@code Content-Length} set here is sent as is. */
        public Response header(String name, String value) {
            Map<String, String> h = new LinkedHashMap<>(headers);
            h.keySet().removeIf(k -> k.equalsIgnoreCase(name));
            if (value != null) {
                h.put(name, value);
            }
            return new Response(status, h, body, framing, trickle, hold);
        }

        /** Sets the Content-Type header ({@code null}: none). */
        public Response contentType(String value) {
            return header("Content-Type", value);
        }

        /** Sends the body with {@code Transfer-Encoding: chunked} (chunks of at most 8 KiB), no Content-Length. */
        public Response chunked() {
            return new Response(status, headers, body, Framing.CHUNKED, trickle, hold);
        }

        /** Sends the body without Content-Length, ending it by closing the connection. */
        public Response withoutContentLength() {
            return new Response(status, headers, body, Framing.CLOSE, trickle, hold);
        }

        /** Writes the whole response (status line included) one byte at a time, {@code perByte} apart. */
        public Response trickle(Duration perByte) {
            return new Response(status, headers, body, framing, perByte, hold);
        }

        /**
         * After writing, keeps the connection open and silent until the client closes it: with a
         * Content-Length larger than the body, a response whose body never ends.
         */
        public Response hold() {
            return new Response(status, headers, body, framing, trickle, true);
        }

        void writeTo(OutputStream out) throws IOException, InterruptedException {
            ByteArrayOutputStream wire = new ByteArrayOutputStream();
            if (framing == Framing.RAW) {
                write(out, body);
                return;
            }
            StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
            headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            boolean explicitLength = headers.keySet().stream().anyMatch(k -> k.equalsIgnoreCase("Content-Length"));
            if (framing == Framing.CHUNKED) {
                head.append("Transfer-Encoding: chunked\r\n");
            } else if (framing == Framing.CONTENT_LENGTH && !explicitLength) {
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
            head.append("Connection: close\r\n\r\n");
            wire.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (framing == Framing.CHUNKED) {
                for (int off = 0; off < body.length; off += 8192) {
                    int n = Math.min(8192, body.length - off);
                    wire.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    wire.write(body, off, n);
                    wire.write(new byte[] {'\r', '\n'});
                }
                wire.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            } else {
                wire.write(body);
            }
            write(out, wire.toByteArray());
        }

        private void write(OutputStream out, byte[] bytes) throws IOException, InterruptedException {
            if (trickle == null) {
                out.write(bytes);
                out.flush();
                return;
            }
            for (byte b : bytes) {
                out.write(b);
                out.flush();
                Thread.sleep(trickle.toMillis());
            }
        }

        private static String reason(int status) {
            switch (status) {
                case 200: return "OK";
                case 301: return "Moved Permanently";
                case 302: return "Found";
                case 307: return "Temporary Redirect";
                case 308: return "Permanent Redirect";
                case 404: return "Not Found";
                case 500: return "Internal Server Error";
                case 503: return "Service Unavailable";
                default: return "Status";
            }
        }
    }

    /** A private key with its chain, as the key manager needs it. */
    private static final class Entry {
        final PrivateKey key;
        final X509Certificate[] chain;

        private Entry(PrivateKey key, X509Certificate[] chain) {
            this.key = key;
            this.chain = chain;
        }

        static Entry of(TestCa.Issued issued) {
            try {
                KeyStore ks = issued.keyStore();
                PrivateKey key = (PrivateKey) ks.getKey("server", TestCa.password().toCharArray());
                Certificate[] chain = ks.getCertificateChain("server");
                return new Entry(key, Arrays.copyOf(chain, chain.length, X509Certificate[].class));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Picks the certificate by the SNI host name of the handshake in progress. */
    private static final class SniKeyManager extends X509ExtendedKeyManager {
        volatile TestHttpsServer server;

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            if (!(socket instanceof SSLSocket) || server == null) {
                return null;
            }
            String host = sniHost(((SSLSocket) socket).getHandshakeSession());
            Entry e = host == null ? null : server.certificates.get(host);
            if (e == null || !e.key.getAlgorithm().equalsIgnoreCase(keyType)) {
                return null;
            }
            return host;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            TestHttpsServer s = server;
            return s == null ? new String[0] : new ArrayList<>(s.certificates.keySet()).toArray(new String[0]);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            Entry e = server == null ? null : server.certificates.get(alias);
            return e == null ? null : e.chain.clone();
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            Entry e = server == null ? null : server.certificates.get(alias);
            return e == null ? null : e.key;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return new String[0];
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }
    }

    /** The port and the hosts with a programmed response, for diagnostics. */
    @Override
    public String toString() {
        List<String> hosts = new ArrayList<>(responses.keySet());
        return "TestHttpsServer{" + server.getInetAddress().getHostAddress() + ":" + port() + " " + hosts + '}';
    }
}
