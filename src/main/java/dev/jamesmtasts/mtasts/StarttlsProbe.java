package dev.jamesmtasts.mtasts;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Looks at one MX host the way an SMTP client about to send mail would, without sending any: TCP
 * connect, the greeting, EHLO, STARTTLS (RFC 3207) and the TLS handshake, then QUIT. What it sees is a
 * {@link StarttlsProbeResult}: the greeting and EHLO keywords, whether STARTTLS was offered, the TLS
 * version and cipher, the certificate chain as presented, and whether that chain is trusted and valid
 * for the MX host name.
 *
 * <p>The handshake is the one RFC 8461 §4.2 asks of an enforce session: SNI = the MX host name, TLS 1.2
 * or newer ({@link TlsVersions}), PKIX validation with host-name verification ("HTTPS" endpoint
 * identification, RFC 6125 as in {@code ObservingSslSocketFactory}), by the caller's trust manager. The
 * difference: the trust manager's verdict is recorded ({@link StarttlsProbeResult#trustFailure()}) instead
 * of ending the handshake, so that the chain, the TLS version and the cipher are known even for an
 * untrusted certificate (and a DANE check can look at the chain, RFC 7672 §3). Nothing is sent after the
 * handshake but QUIT.
 *
 * <p>Bounds: {@link #probe} ends by its deadline whatever the peer does: the connect, each read
 * ({@code stepTimeout}, cut to the time left) and a watchdog that closes the TCP socket at the deadline
 * (a peer trickling one byte at a time cannot stretch a read or the handshake). Replies are capped
 * ({@value #MAX_REPLY_BYTES} bytes, {@value #MAX_REPLY_LINES} lines); what the peer wrote is kept as
 * text (UTF-8, invalid bytes replaced) and must go through {@link SafeText} / {@link SafeJson} to be shown.
 *
 * <p>Thread-safe; {@link #close()} stops the watchdog thread.
 */
public final class StarttlsProbe implements AutoCloseable {
    /** Cap on one SMTP reply, all lines (RFC 5321 §4.5.3.1.5 allows 512 octets per reply line). */
    static final int MAX_REPLY_BYTES = 16 * 1024;
    /** Cap on the lines of one reply (an EHLO reply lists one extension per line). */
    static final int MAX_REPLY_LINES = 64;
    private static final byte[] CRLF = {'\r', '\n'};

    private final X509ExtendedTrustManager trust;
    private final String heloName;
    private final long stepMillis;
    private final ScheduledThreadPoolExecutor watchdog = HttpsConnector.newWatchdog("mta-sts-starttls-probe-watchdog");

    /**
     * @param trust      the CAs an MX certificate must chain to ({@link #trustManager(KeyStore)})
     * @param heloName   the name given in EHLO
     * @param stepMillis the bound on the connect and on each read, in milliseconds
     */
    public StarttlsProbe(X509ExtendedTrustManager trust, String heloName, long stepMillis) {
        if (stepMillis <= 0) {
            throw new IllegalArgumentException("stepMillis must be positive");
        }
        this.trust = trust;
        this.heloName = heloName;
        this.stepMillis = stepMillis;
    }

    /** The PKIX trust manager of {@code trustStore}; null: the JVM's default trust store. */
    public static X509ExtendedTrustManager trustManager(KeyStore trustStore) {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trustStore);
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager) {
                    return (X509ExtendedTrustManager) tm;
                }
            }
            throw new IllegalStateException("no X509 trust manager in " + tmf.getAlgorithm());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot use the trust store: " + e.getMessage(), e);
        }
    }

    /**
     * The trust manager of a trust store file: a PEM bundle, PKCS12 or JKS, read as the policy fetch
     * reads {@code fetch.trustStore} ({@link MtaStsSettings.Builder#trustStore}).
     *
     * @throws IllegalArgumentException when the file cannot be read
     */
    public static X509ExtendedTrustManager trustManager(Path file, char[] password) {
        try {
            return trustManager(TrustMaterial.load(file, password));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot use trust store " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Probes {@code mxHost} at {@code address}, ending by {@code deadlineNanos} (a {@link System#nanoTime()}
     * value). Never throws: every failure is in the result.
     */
    public StarttlsProbeResult probe(String mxHost, InetSocketAddress address, long deadlineNanos) {
        StarttlsProbeResult.Builder r = new StarttlsProbeResult.Builder(mxHost, address);
        long start = System.nanoTime();
        Socket socket = new Socket();
        long alarmMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - start));
        Alarm alarm = new Alarm(socket);
        ScheduledFuture<?> alarmTask = watchdog.schedule(alarm::ring, alarmMillis, TimeUnit.MILLISECONDS);
        try {
            run(r, socket, mxHost, address, deadlineNanos);
        } catch (IOException | RuntimeException e) {
            if (alarm.rang() || System.nanoTime() - deadlineNanos >= 0) {
                r.timedOut("no complete answer within the deadline (" + r.stage().words() + ": " + describe(e) + ")");
            } else {
                r.failed(describe(e));
            }
        } finally {
            alarmTask.cancel(false);
            HttpsConnector.closeQuietly(socket);
            r.elapsedNanos(System.nanoTime() - start);
        }
        return r.build();
    }

    private void run(StarttlsProbeResult.Builder r, Socket socket, String mxHost, InetSocketAddress address,
                     long deadline) throws IOException {
        r.stage(StarttlsProbeResult.Stage.CONNECT);
        socket.connect(address, timeout(deadline));
        r.connected(socket.getLocalAddress() == null ? null : socket.getLocalAddress().getHostAddress());
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();

        r.stage(StarttlsProbeResult.Stage.GREETING);
        Reply greeting = read(socket, in, deadline);
        r.greeting(greeting.text());
        if (greeting.code != 220) {
            r.failed("greeting refused: " + SafeText.of(greeting.text(), 300));
            quit(socket, out);
            return;
        }

        r.stage(StarttlsProbeResult.Stage.EHLO);
        Reply ehlo = command(socket, in, out, "EHLO " + heloName, deadline);
        if (ehlo.code != 250) {
            r.failed("EHLO refused: " + SafeText.of(ehlo.text(), 300));
            quit(socket, out);
            return;
        }
        List<String> keywords = ehlo.keywords();
        r.ehloKeywords(keywords);
        boolean offered = keywords.stream().anyMatch(k -> k.equalsIgnoreCase("STARTTLS"));
        r.starttlsOffered(offered);
        if (!offered) {
            quit(socket, out);
            return;
        }

        r.stage(StarttlsProbeResult.Stage.STARTTLS);
        Reply ready = command(socket, in, out, "STARTTLS", deadline);
        if (ready.code != 220) {
            r.failed("STARTTLS refused: " + SafeText.of(ready.text(), 300));
            quit(socket, out);
            return;
        }

        r.stage(StarttlsProbeResult.Stage.TLS);
        Recording recording = new Recording(trust);
        SSLSocket tls;
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {recording}, null);
            tls = (SSLSocket) ctx.getSocketFactory().createSocket(socket, mxHost, address.getPort(), true);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no TLS implementation", e);
        }
        SSLParameters p = tls.getSSLParameters();
        // RFC 8461 §4.2: the MX host name is the reference identity (RFC 6125, as for HTTPS), SNI names it
        p.setEndpointIdentificationAlgorithm("HTTPS");
        if (Domains.isLdhDomain(mxHost)) {
            p.setServerNames(List.of(new SNIHostName(mxHost)));
        }
        p.setProtocols(TlsVersions.allowedOf(tls.getSupportedProtocols()));
        tls.setSSLParameters(p);
        tls.setSoTimeout(timeout(deadline));
        try {
            tls.startHandshake();
        } catch (IOException e) {
            r.chain(recording.chain);
            if (System.nanoTime() - deadline >= 0) {
                throw e; // cut by the deadline (the watchdog closed the socket): a time-out, not the peer's TLS
            }
            r.handshakeFailed(e);
            return;
        }
        r.chain(recording.chain);
        r.tls(tls.getSession().getProtocol(), tls.getSession().getCipherSuite(), recording.failure);
        tls.getSession().invalidate(); // never resumed: each probe sees the certificate presented now
        r.stage(StarttlsProbeResult.Stage.DONE);
        quit(tls, tls.getOutputStream());
    }

    private Reply command(Socket socket, InputStream in, OutputStream out, String line, long deadline) throws IOException {
        out.write(line.getBytes(StandardCharsets.US_ASCII));
        out.write(CRLF);
        out.flush();
        return read(socket, in, deadline);
    }

    /** QUIT, without waiting long for the answer: nothing depends on it. */
    private void quit(Socket socket, OutputStream out) {
        try {
            out.write("QUIT".getBytes(StandardCharsets.US_ASCII));
            out.write(CRLF);
            out.flush();
        } catch (IOException e) {
            // the peer is gone: nothing to say goodbye to
        }
    }

    /** One SMTP reply (RFC 5321 §4.2): lines "ddd-text" then "ddd text", capped. */
    private Reply read(Socket socket, InputStream in, long deadline) throws IOException {
        List<String> lines = new ArrayList<>();
        int total = 0;
        int code = -1;
        while (true) {
            socket.setSoTimeout(timeout(deadline));
            byte[] line = readLine(in, MAX_REPLY_BYTES - total);
            total += line.length + 2;
            String text = new String(line, StandardCharsets.UTF_8);
            if (text.length() < 3 || !Character.isDigit(text.charAt(0)) || !Character.isDigit(text.charAt(1))
                    || !Character.isDigit(text.charAt(2)) || (text.length() > 3 && text.charAt(3) != ' ' && text.charAt(3) != '-')) {
                throw new IOException("not an SMTP reply: " + SafeText.quoted(text));
            }
            int c = Integer.parseInt(text.substring(0, 3));
            if (code >= 0 && c != code) {
                throw new IOException("SMTP reply lines with different codes: " + code + " then " + c);
            }
            code = c;
            lines.add(text);
            if (text.length() == 3 || text.charAt(3) == ' ') {
                return new Reply(code, lines);
            }
            if (lines.size() >= MAX_REPLY_LINES) {
                throw new IOException("SMTP reply longer than " + MAX_REPLY_LINES + " lines");
            }
        }
    }

    /** One line without its CRLF (a bare LF ends it too), at most {@code max} bytes. */
    private static byte[] readLine(InputStream in, int max) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed by the server"
                        + (line.size() == 0 ? "" : " in the middle of a line"));
            }
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return Arrays.copyOf(bytes, n);
            }
            if (line.size() >= max) {
                throw new IOException("SMTP reply longer than " + MAX_REPLY_BYTES + " bytes");
            }
            line.write(b);
        }
    }

    /** The connect and read bound: {@code stepMillis}, or less when the deadline is nearer. */
    private int timeout(long deadline) throws IOException {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
            throw new IOException("deadline passed");
        }
        return (int) Math.min(Math.min(stepMillis, left), Integer.MAX_VALUE);
    }

    static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root == e ? e.getMessage() : e.getMessage() + " (" + root.getMessage() + ")";
        // exception texts may quote the peer (a TLS alert, a certificate name)
        return SafeText.of(root.getClass().getSimpleName() + (m == null ? "" : ": " + m), 300);
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
    }

    /** One reply. */
    private static final class Reply {
        final int code;
        final List<String> lines;

        Reply(int code, List<String> lines) {
            this.code = code;
            this.lines = lines;
        }

        /** The reply's lines joined with LF, as received (not yet escaped). */
        String text() {
            return String.join("\n", lines);
        }

        /** The EHLO keywords (RFC 5321 §4.1.1.1): the first word of each line after the first, upper case. */
        List<String> keywords() {
            List<String> k = new ArrayList<>();
            for (int i = 1; i < lines.size(); i++) {
                String l = lines.get(i);
                String rest = l.length() > 4 ? l.substring(4).trim() : "";
                int sp = rest.indexOf(' ');
                String word = sp < 0 ? rest : rest.substring(0, sp);
                if (!word.isEmpty()) {
                    k.add(word.toUpperCase(Locale.ROOT));
                }
            }
            return k;
        }
    }

    /** Closes the plain socket at the deadline: a blocked connect, read or handshake returns at once. */
    private static final class Alarm {
        private final Socket socket;
        private volatile boolean rang;

        Alarm(Socket socket) {
            this.socket = socket;
        }

        void ring() {
            rang = true;
            HttpsConnector.closeQuietly(socket);
        }

        boolean rang() {
            return rang;
        }
    }

    /**
     * Asks the real trust manager (with the socket, so that its endpoint identification applies) and
     * records its verdict and the chain instead of failing the handshake.
     */
    private static final class Recording extends ClientSideTrustManager {
        private final X509ExtendedTrustManager delegate;
        volatile List<X509Certificate> chain = List.of();
        volatile CertificateException failure;

        Recording(X509ExtendedTrustManager delegate) {
            this.delegate = delegate;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] certs, String authType, Socket socket) {
            chain = certs == null ? List.of() : List.of(certs);
            try {
                delegate.checkServerTrusted(certs, authType, socket);
            } catch (CertificateException e) {
                failure = e;
            } catch (RuntimeException e) {
                failure = new CertificateException(e.getMessage(), e);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] certs, String authType, SSLEngine engine) {
            throw new UnsupportedOperationException("sockets only");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] certs, String authType) {
            throw new UnsupportedOperationException("sockets only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate.getAcceptedIssuers();
        }
    }
}
