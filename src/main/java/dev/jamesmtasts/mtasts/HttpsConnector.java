package dev.jamesmtasts.mtasts;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTPS exchange with a host named by an untrusted party, under ONE deadline: the policy fetch of
 * RFC 8461 §3.3 ({@code PolicyFetcher}) and the report POST of RFC 8460 §5.4 ({@code HttpsReportPoster})
 * share it, so that both get the same rules:
 *
 * <ul>
 *   <li>the host is resolved through the configured DNS servers (A, then AAAA; addresses tried in that
 *       order when a connection fails);</li>
 *   <li>addresses on loopback, private, link-local, ... networks are skipped unless allowed
 *       ({@link AddressGuard}, {@link MtaStsSettings#allowPrivateAddresses()}): a name chosen by a
 *       recipient domain must not make the mail server open connections into its own network; if none
 *       is left the exchange fails with {@link FetchFailure#ADDRESS_REFUSED};</li>
 *   <li>TLS 1.2 or 1.3 only, SNI = the host, PKIX validation and host-name verification ("HTTPS"
 *       endpoint identification) against that name, and no TLS session resumption: each exchange sees
 *       and verifies the certificate presented now;</li>
 *   <li>ONE deadline covers the A/AAAA lookups, connect, handshake and whatever the caller's
 *       {@link Exchange} writes and reads: DNS queries are never sent past it, and a watchdog closes the
 *       socket when it passes, so neither slow DNS nor a peer trickling one byte a second (or not
 *       reading what it is sent) can hold the exchange; past it the failure is
 *       {@link FetchFailure#TIMEOUT}, whatever step was cut.</li>
 * </ul>
 *
 * Thread-safe (no mutable state); {@link #close()} stops the watchdog thread when this instance made it.
 */
public final class HttpsConnector implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpsConnector.class);

    /** What to do on the open, verified TLS connection; runs under the exchange's deadline. */
    public interface Exchange<T> {
        T run(SSLSocket tls) throws IOException, HttpsFailure;
    }

    private final DnsClient dns;
    private final boolean allowPrivateAddresses;
    private final SSLSocketFactory sockets;
    private final ScheduledExecutorService watchdog;
    private final boolean ownsWatchdog;

    HttpsConnector(DnsClient dns, MtaStsSettings settings, SSLSocketFactory sockets, ScheduledExecutorService watchdog) {
        this(dns, settings, sockets, watchdog, false);
    }

    private HttpsConnector(DnsClient dns, MtaStsSettings settings, SSLSocketFactory sockets,
                           ScheduledExecutorService watchdog, boolean ownsWatchdog) {
        this.dns = dns;
        this.allowPrivateAddresses = settings.allowPrivateAddresses();
        this.sockets = sockets;
        this.watchdog = watchdog;
        this.ownsWatchdog = ownsWatchdog;
    }

    /**
     * A connector with its own DNS client, trust material and watchdog thread, all from
     * {@code settings} (resolvers, DNS time-out, trust store or SSLContext, private addresses).
     *
     * @throws IllegalArgumentException when the configured trust store cannot be read
     */
    public static HttpsConnector create(MtaStsSettings settings, String watchdogThreadName) {
        SSLSocketFactory sockets = TrustMaterial.socketFactory(settings);
        return new HttpsConnector(new DnsClient(settings.resolvers(), settings.dnsTimeout()), settings, sockets,
                newWatchdog(watchdogThreadName), true);
    }

    /** A single daemon thread that closes the sockets of exchanges past their deadline. */
    static ScheduledThreadPoolExecutor newWatchdog(String threadName) {
        ScheduledThreadPoolExecutor w = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        w.setRemoveOnCancelPolicy(true);
        return w;
    }

    /**
     * Resolves {@code host}, connects to {@code port}, completes TLS and runs {@code exchange}, all
     * within {@code timeout} (started before the address lookups: issue 9, a deadline started after
     * them let slow DNS add its own time-outs on top of the bound).
     *
     * @param host a valid host name (the caller checks it: {@link Domains#isLdhDomain})
     */
    public <T> T exchange(String host, int port, Duration timeout, Exchange<T> exchange) throws HttpsFailure {
        long timeoutMillis = timeout.toMillis();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        Sockets open = new Sockets();
        ScheduledFuture<?> alarm = watchdog.schedule(open::expire, timeoutMillis, TimeUnit.MILLISECONDS);
        try {
            List<InetAddress> addresses = resolve(host, deadline);
            Socket raw = connect(open, host, addresses, port, deadline);
            SSLSocket tls = handshake(open, raw, host, port, deadline);
            try {
                return exchange.run(tls);
            } catch (IOException e) {
                throw new HttpsFailure(FetchFailure.PROTOCOL, "I/O error talking to " + host + ": " + e);
            } finally {
                // No TLS session resumption, ever: each exchange must see (and verify) the certificate
                // the host presents now (RFC 8461 §3.3), not one validated hours ago. Invalidated after
                // the exchange, when TLS 1.3 session tickets have arrived too.
                tls.getSession().invalidate();
            }
        } catch (HttpsFailure f) {
            // The socket's own read time-out (set to the time left) can fire before the watchdog thread
            // runs, and a DNS query cut short by the deadline reports a DNS time-out: either way the
            // failure is the bound, not the peer's DNS, TLS or HTTP.
            if (open.expired() || System.nanoTime() - deadline >= 0) {
                throw new HttpsFailure(FetchFailure.TIMEOUT, "no complete answer from " + host + " within "
                        + timeoutMillis + " ms (" + f.kind() + ": " + f.getMessage() + ")");
            }
            throw f;
        } finally {
            alarm.cancel(false);
            open.close();
        }
    }

    /**
     * A then AAAA of the host, through the configured resolvers, minus refused addresses; no query is
     * sent after {@code deadline}, the exchange's.
     */
    private List<InetAddress> resolve(String host, long deadline) throws HttpsFailure {
        DnsClient.Addresses found = dns.addresses(host, deadline);
        List<InetAddress> all = found.all;
        if (all.isEmpty()) {
            if (found.temporary()) {
                throw new HttpsFailure(FetchFailure.DNS_TEMPORARY, "cannot resolve " + host + ": A " + found.a
                        + "; AAAA " + found.aaaa);
            }
            throw new HttpsFailure(FetchFailure.HOST_NOT_FOUND, host + " has no address: " + found.a.detail);
        }
        if (allowPrivateAddresses) {
            return all;
        }
        List<InetAddress> allowed = new ArrayList<>();
        StringBuilder refused = new StringBuilder();
        for (InetAddress address : all) {
            String why = AddressGuard.refusal(address);
            if (why == null) {
                allowed.add(address);
            } else {
                refused.append(refused.length() == 0 ? "" : ", ").append(address.getHostAddress()).append(" (").append(why).append(')');
            }
        }
        if (allowed.isEmpty()) {
            throw new HttpsFailure(FetchFailure.ADDRESS_REFUSED, host + " resolves only to refused addresses: " + refused);
        }
        if (refused.length() > 0) {
            LOG.info("HTTPS host {}: skipping refused addresses {}", host, refused);
        }
        return allowed;
    }

    private static Socket connect(Sockets open, String host, List<InetAddress> addresses, int port, long deadline)
            throws HttpsFailure {
        StringBuilder errors = new StringBuilder();
        for (InetAddress address : addresses) {
            long remaining = remainingMillis(deadline);
            if (remaining <= 0) {
                throw new HttpsFailure(FetchFailure.TIMEOUT, "deadline passed while connecting to " + host);
            }
            Socket socket = new Socket();
            open.attach(socket);
            try {
                socket.connect(new InetSocketAddress(address, port), (int) Math.min(Integer.MAX_VALUE, remaining));
                return socket;
            } catch (IOException e) {
                errors.append(errors.length() == 0 ? "" : "; ").append(address.getHostAddress()).append(": ").append(e.getMessage());
                closeQuietly(socket);
            }
        }
        throw new HttpsFailure(FetchFailure.CONNECT, "cannot connect to " + host + " port " + port + ": " + errors);
    }

    private SSLSocket handshake(Sockets open, Socket raw, String host, int port, long deadline) throws HttpsFailure {
        try {
            SSLSocket tls = (SSLSocket) sockets.createSocket(raw, host, port, true);
            open.attach(tls);
            SSLParameters p = tls.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName(host)));
            // Host-name verification of the certificate against the host (RFC 8461 §3.3, RFC 6125).
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setProtocols(TlsVersions.allowedOf(tls.getSupportedProtocols()));
            tls.setSSLParameters(p);
            // Belt and braces: the watchdog closes the socket at the deadline anyway.
            tls.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, remainingMillis(deadline))));
            tls.startHandshake();
            return tls;
        } catch (SSLException e) {
            throw new HttpsFailure(FetchFailure.TLS, "TLS with " + host + " failed: " + rootMessage(e));
        } catch (IOException e) {
            throw new HttpsFailure(FetchFailure.TLS, "TLS with " + host + " failed: " + e);
        }
    }

    private static long remainingMillis(long deadline) {
        return TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }

    static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    /** Stops the watchdog thread if this connector made it ({@link #create}); exchanges in flight end at their socket time-out. */
    @Override
    public void close() {
        if (ownsWatchdog) {
            watchdog.shutdownNow();
        }
    }

    /**
     * The sockets of one exchange and its deadline state. The watchdog thread calls {@link #expire()},
     * which closes the current socket so that a blocked read, write or handshake returns at once.
     */
    private static final class Sockets {
        private final List<Socket> sockets = new ArrayList<>(2);
        private boolean expired;

        synchronized void attach(Socket socket) throws HttpsFailure {
            if (expired) {
                closeQuietly(socket);
                throw new HttpsFailure(FetchFailure.TIMEOUT, "deadline passed");
            }
            sockets.add(socket);
        }

        synchronized void expire() {
            expired = true;
            // Close only the plain TCP socket: that unblocks any read, write or handshake at once,
            // while closing an SSLSocket from this thread could wait on locks the exchanging thread holds.
            for (Socket s : sockets) {
                if (!(s instanceof SSLSocket)) {
                    closeQuietly(s);
                }
            }
        }

        synchronized boolean expired() {
            return expired;
        }

        synchronized void close() {
            for (Socket s : sockets) {
                closeQuietly(s);
            }
            sockets.clear();
        }
    }
}
