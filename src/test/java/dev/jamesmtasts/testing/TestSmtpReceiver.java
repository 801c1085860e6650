package dev.jamesmtasts.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.server.SMTPServer;
import org.subethamail.smtp.server.Session;

/**
 * A receiving MTA for tests and the demo: a real SMTP server (subethasmtp) on a loopback address,
 * offering STARTTLS with the given server context, or (a "stripped" receiver, as seen behind an
 * attacker who removes the STARTTLS capability) no STARTTLS at all. Records every message with whether
 * it arrived over TLS, the TLS version and the SNI name the sender asked for (RFC 8461 §4.2 checks
 * are made by the sender; this side only shows what the sender did).
 *
 * <p>The server is started by the constructor and stopped by {@link #close()}.
 */
public final class TestSmtpReceiver implements AutoCloseable {
    /** One message as received. */
    public static final class Received {
        public final String from;
        public final List<String> recipients;
        /** The message as sent in DATA (no Received header added). */
        public final String data;
        /** Whether the message arrived after STARTTLS. */
        public final boolean tls;
        /** The TLS version, or null in clear text. */
        public final String tlsProtocol;
        /** The SNI host name the client asked for, or null. */
        public final String sni;
        /** The Subject header, or {@code (no subject)}. */
        public final String subject;
        /** When the message was accepted ({@link System#nanoTime()}). */
        public final long atNanos = System.nanoTime();

        Received(String from, List<String> recipients, String data, String tlsProtocol, String sni) {
            this.from = from;
            this.recipients = recipients;
            this.data = data;
            this.tls = tlsProtocol != null;
            this.tlsProtocol = tlsProtocol;
            this.sni = sni;
            this.subject = subject(data);
        }

        public boolean overTls() {
            return tls;
        }

        /** {@code over TLSv1.3 (SNI mx.example): subject} or {@code in CLEAR TEXT: subject}. */
        public String describe() {
            return (tls ? "over " + tlsProtocol + " (SNI " + (sni == null ? "none" : sni) + ")" : "in CLEAR TEXT")
                    + ": " + subject;
        }
    }

    private final String name;
    private final InetSocketAddress address;
    private final SMTPServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger transactions = new AtomicInteger();

    /** A receiver on 127.0.0.1 and a free port; {@code tls} null: no STARTTLS offered. */
    public TestSmtpReceiver(String name, SSLContext tls) {
        this(name, new InetSocketAddress(InetAddress.getLoopbackAddress(), freePort()), tls);
    }

    /**
     * @param name the host name the receiver answers for (its greeting)
     * @param address where it listens
     * @param tls what it presents after STARTTLS whatever SNI it is asked for; null: no STARTTLS
     */
    public TestSmtpReceiver(String name, InetSocketAddress address, SSLContext tls) {
        this.name = name;
        this.address = address;
        this.server = new SMTPServer(this::handler) {
            @Override
            public SSLSocket createSSLSocket(Socket socket) throws IOException {
                SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(socket,
                        socket.getInetAddress().getHostAddress(), socket.getPort(), true);
                s.setUseClientMode(false);
                return s;
            }
        };
        server.setBindAddress(address.getAddress());
        server.setPort(address.getPort());
        server.setHostName(name);
        server.setSoftwareName("test receiver");
        server.setEnableTLS(tls != null);
        server.setHideTLS(tls == null);
        server.setDisableReceivedHeaders(true);
        server.start();
    }

    private MessageHandler handler(MessageContext ctx) {
        transactions.incrementAndGet();
        return new MessageHandler() {
            private String from;
            private final List<String> recipients = new ArrayList<>();

            @Override
            public void from(String f) {
                from = f;
            }

            @Override
            public void recipient(String r) {
                recipients.add(r);
            }

            @Override
            public void data(InputStream in) throws IOException {
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                in.transferTo(body);
                String protocol = null;
                String sni = null;
                if (ctx instanceof Session && ((Session) ctx).getSocket() instanceof SSLSocket) {
                    SSLSession session = ((SSLSocket) ((Session) ctx).getSocket()).getSession();
                    protocol = session.getProtocol();
                    sni = sni(session);
                }
                received.add(new Received(from, List.copyOf(recipients), body.toString(StandardCharsets.UTF_8),
                        protocol, sni));
            }

            @Override
            public void done() {
                // nothing to release
            }
        };
    }

    private static String sni(SSLSession session) {
        if (session instanceof ExtendedSSLSession) {
            for (SNIServerName n : ((ExtendedSSLSession) session).getRequestedServerNames()) {
                if (n instanceof SNIHostName) {
                    return ((SNIHostName) n).getAsciiName();
                }
            }
        }
        return null;
    }

    private static String subject(String data) {
        for (String line : data.split("\r?\n")) {
            if (line.isEmpty()) {
                break;
            }
            if (line.regionMatches(true, 0, "Subject:", 0, 8)) {
                return line.substring(8).trim();
            }
        }
        return "(no subject)";
    }

    public String name() {
        return name;
    }

    public InetAddress address() {
        return address.getAddress();
    }

    public int port() {
        return address.getPort();
    }

    /** The messages received so far, in order (a live view: it grows as mail arrives). */
    public List<Received> received() {
        return received;
    }

    /** A snapshot of {@link #received()}. */
    public List<Received> messages() {
        return List.copyOf(received);
    }

    /** Messages whose subject contains {@code tag}. */
    public List<Received> messages(String tag) {
        List<Received> out = new ArrayList<>();
        for (Received r : received) {
            if (r.subject.contains(tag)) {
                out.add(r);
            }
        }
        return out;
    }

    public int count() {
        return received.size();
    }

    /** Mail transactions begun (one per MAIL FROM accepted), delivered or not. */
    public int transactions() {
        return transactions.get();
    }

    /** The same as {@link #transactions()}: zero means no sender got as far as a mail transaction. */
    public int connections() {
        return transactions.get();
    }

    public void clear() {
        received.clear();
    }

    @Override
    public void close() {
        server.stop();
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
