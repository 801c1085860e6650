package dev.jamesmtasts.demo;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.jamesmtasts.testing.TestCa;
import dev.jamesmtasts.testing.TestSmtpReceiver;
import dev.jamesmtasts.testing.TestDnsServer;
import dev.jamesmtasts.testing.TestHttpsServer;
import dev.jamesmtasts.testing.TestHttpsServer.Response;

/**
 * The demo's internet, all on loopback: one authoritative DNS server (the only resolver James and the
 * extension know), HTTPS policy hosts and TLS-RPT report receivers (one server per address, the
 * certificate chosen by SNI), TLS-RPT records, and SMTP receivers each on port 25 (by default) of its own 127.0.0.x address, with certificates from a
 * demo CA made at start. Inside a private network namespace the well-known ports (53, 443, 25) are
 * free to take, so James and the extension run with their production defaults.
 */
final class SimulatedInternet implements AutoCloseable {
    /** Where the services listen. Production ports inside the demo's network namespace. */
    static final class Ports {
        final int dns;
        final int https;
        final int smtp;

        Ports(int dns, int https, int smtp) {
            this.dns = dns;
            this.https = https;
            this.smtp = smtp;
        }

        static Ports wellKnown() {
            return new Ports(53, 443, 25);
        }
    }

    /** What a receiver presents after STARTTLS. */
    enum Tls {
        /** A valid certificate from the demo CA for the receiver's own name. */
        OWN_NAME,
        /** A valid certificate from the demo CA, but for another host name. */
        OTHER_NAME,
        /** No STARTTLS offered (as when an attacker strips it from the EHLO answer). */
        NONE
    }

    static final String DNS_ADDRESS = "127.0.0.1";

    private final Ports ports;
    private final TestCa ca;
    private final TestDnsServer dns;
    private final Map<String, TestHttpsServer> httpsServers = new LinkedHashMap<>();
    private final Map<String, TestSmtpReceiver> receivers = new LinkedHashMap<>();
    private final List<String> published = new ArrayList<>();
    private final List<Tarpit> tarpits = new ArrayList<>();

    private SimulatedInternet(Ports ports, TestCa ca, TestDnsServer dns) {
        this.ports = ports;
        this.ca = ca;
        this.dns = dns;
    }

    static SimulatedInternet start(Ports ports) throws IOException {
        TestCa ca = TestCa.create("james-mta-sts demo CA");
        TestDnsServer dns = TestDnsServer.start(new InetSocketAddress(InetAddress.getByName(DNS_ADDRESS), ports.dns));
        return new SimulatedInternet(ports, ca, dns);
    }

    TestCa ca() {
        return ca;
    }

    TestDnsServer dns() {
        return dns;
    }

    Ports ports() {
        return ports;
    }

    /** Writes the demo CA as a PKCS12 trust store (password changeit). */
    Path writeTrustStore(Path file) throws IOException {
        return ca.writeTrustStore(file);
    }

    /**
     * Signs the simulated DNS (RFC 4033-4035) under a test root whose key is the demo's trust anchor:
     * the root and {@code signedTld} are signed zones, {@code example.} an unsigned delegation, so the
     * domains under {@code example.} stay insecure (MTA-STS as without DANE, RFC 7672 §2.2) and those
     * under {@code signedTld} are secure, where TLSA records count. Returns the root's DS record in
     * zone-file form, for {@code dane.trustAnchors}.
     */
    String signZones(String signedTld) {
        return signZones(List.of(signedTld), List.of("example."));
    }

    /**
     * Signs the simulated DNS under a test root (RFC 4033-4035) whose key is the demo's trust anchor: the
     * root and every zone of {@code signed} are signed zones, every zone of {@code unsigned} an unsigned
     * delegation. Returns the root's DS record in zone-file form, for {@code dane.trustAnchors}.
     */
    String signZones(List<String> signed, List<String> unsigned) {
        dns.signedZone(".");
        unsigned.forEach(dns::unsignedZone);
        signed.forEach(dns::signedZone);
        return dns.trustAnchor(".");
    }

    /**
     * Starts an SMTP receiver for {@code host} on {@code address} presenting {@code cert} (any CA, any
     * name), and publishes its A record.
     */
    synchronized TestSmtpReceiver receiver(String host, String address, TestCa.Issued cert) throws IOException {
        TestSmtpReceiver r = new TestSmtpReceiver(host,
                new InetSocketAddress(InetAddress.getByName(address), ports.smtp), cert.serverContext());
        receivers.put(host, r);
        dns.clear(host).a(host, address);
        return r;
    }

    /** Starts an SMTP receiver for {@code host} on {@code address}, and publishes its A record. */
    synchronized TestSmtpReceiver receiver(String host, String address, Tls tls) throws IOException {
        TestCa.Issued cert;
        switch (tls) {
            case OWN_NAME:
                cert = ca.issue(host);
                break;
            case OTHER_NAME:
                cert = ca.issue("mx.someone-else.example");
                break;
            default:
                cert = null;
                break;
        }
        if (cert != null) {
            return receiver(host, address, cert);
        }
        TestSmtpReceiver r = new TestSmtpReceiver(host,
                new InetSocketAddress(InetAddress.getByName(address), ports.smtp), null);
        receivers.put(host, r);
        dns.clear(host).a(host, address);
        return r;
    }

    /**
     * Starts one SMTP receiver on {@code address} serving all {@code hosts} (as a hosting provider's MX
     * does), with one valid certificate naming them all, and publishes their A records.
     */
    synchronized TestSmtpReceiver sharedReceiver(String address, List<String> hosts) throws IOException {
        return sharedReceiver(address, hosts, ca.issue(hosts.toArray(new String[0])));
    }

    /**
     * As {@link #sharedReceiver(String, List)}, presenting {@code cert} (e.g. one whose key the hosts'
     * TLSA records name, {@link #publishDaneEe}).
     */
    synchronized TestSmtpReceiver sharedReceiver(String address, List<String> hosts, TestCa.Issued cert)
            throws IOException {
        TestSmtpReceiver r = new TestSmtpReceiver(hosts.get(0),
                new InetSocketAddress(InetAddress.getByName(address), ports.smtp), cert.serverContext());
        for (String host : hosts) {
            receivers.put(host, r);
            dns.clear(host).a(host, address);
        }
        return r;
    }

    TestSmtpReceiver receiver(String host) {
        return receivers.get(host);
    }

    /** Whether any receiver got a message whose subject contains {@code tag}. */
    synchronized boolean delivered(String tag) {
        for (TestSmtpReceiver r : new java.util.LinkedHashSet<>(receivers.values())) {
            if (!r.messages(tag).isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** Sets the MX of {@code domain} to {@code host} (preference 10), replacing any other, atomically. */
    void mx(String domain, String host) {
        dns.replaceMx(domain, 10, host);
    }

    /**
     * Publishes an MTA-STS domain (RFC 8461 §3): the TXT record {@code v=STSv1; id=ID;} at
     * {@code _mta-sts.DOMAIN}, and the policy served at
     * {@code https://mta-sts.DOMAIN/.well-known/mta-sts.txt} from {@code address}, with a valid
     * certificate for {@code mta-sts.DOMAIN}.
     */
    synchronized void publish(String domain, String id, String policy, String address) throws IOException {
        publishRecord(domain, "v=STSv1; id=" + id + ";", policy, address);
    }

    /**
     * Publishes {@code txt} verbatim as the {@code _mta-sts} TXT record of {@code domain} (a hostile
     * domain's record may hold any byte, RFC 8461 §3.1 only says what a valid one looks like) and
     * serves {@code policy} verbatim from {@code address}.
     */
    synchronized void publishRecord(String domain, String txt, String policy, String address) throws IOException {
        String host = "mta-sts." + domain;
        dns.clear("_mta-sts." + domain).txt("_mta-sts." + domain, txt);
        dns.clear(host).a(host, address);
        httpsServer(address).host(host, ca.issue(host), Response.ok(policy));
        published.add(domain);
    }

    /** The HTTPS server on {@code address} (port {@code ports.https}), started on first use. */
    private TestHttpsServer httpsServer(String address) throws IOException {
        TestHttpsServer https = httpsServers.get(address);
        if (https == null) {
            https = TestHttpsServer.start(new InetSocketAddress(InetAddress.getByName(address), ports.https));
            httpsServers.put(address, https);
        }
        return https;
    }

    /**
     * Serves {@code host} over HTTPS from {@code address} (a valid demo-CA certificate for it, its A
     * record published), answering every request 200: a TLS-RPT report receiver (RFC 8460 §5.4) that
     * records what it was sent ({@link #httpsRequests}, {@link #lastHttpsRequest}, {@link #lastHttpsBody}).
     *
     * @return the port it listens on (the well-known 443 inside the demo's namespace)
     */
    synchronized int serveHttps(String host, String address) throws IOException {
        dns.clear(host).a(host, address);
        TestHttpsServer https = httpsServer(address);
        https.host(host, ca.issue(host), Response.ok("report received\n"));
        return https.port();
    }

    /** Requests {@code host} got on {@code address} so far (0 when nothing serves there). */
    synchronized int httpsRequests(String host, String address) {
        TestHttpsServer https = httpsServers.get(address);
        return https == null ? 0 : https.requests(host);
    }

    /** The head (request line and headers) of the last request to {@code host} on {@code address}, or null. */
    synchronized String lastHttpsRequest(String host, String address) {
        TestHttpsServer https = httpsServers.get(address);
        return https == null ? null : https.lastRequest(host);
    }

    /** The body of the last request to {@code host} on {@code address}, or null. */
    synchronized byte[] lastHttpsBody(String host, String address) {
        TestHttpsServer https = httpsServers.get(address);
        return https == null ? null : https.lastRequestBody(host);
    }

    /**
     * Publishes the TLS-RPT record of {@code domain} (RFC 8460 §3): {@code _smtp._tls.DOMAIN} TXT
     * {@code v=TLSRPTv1; rua=RUA}; returns the record's text.
     */
    String publishTlsRpt(String domain, String rua) {
        String txt = "v=TLSRPTv1; rua=" + rua;
        dns.clear("_smtp._tls." + domain).txt("_smtp._tls." + domain, txt);
        return txt;
    }

    /**
     * Publishes {@code domain} with a valid {@code _mta-sts} TXT record whose policy host
     * {@code mta-sts.DOMAIN} resolves to {@code address}, where a tarpit listens (see
     * {@link #tarpit(String, boolean)}): the policy fetch connects and then waits.
     */
    synchronized void publishTarpitted(String domain, String id, String address) {
        dns.clear("_mta-sts." + domain).txt("_mta-sts." + domain, "v=STSv1; id=" + id + ";");
        dns.clear("mta-sts." + domain).a("mta-sts." + domain, address);
        published.add(domain);
    }

    /**
     * Starts a tarpit on {@code address}:{@code https port}: it accepts every TCP connection and then
     * sends nothing ({@code trickle} false), or the header of a TLS record announcing 16,384 bytes (the
     * largest plaintext record a client must accept) and then one byte a second ({@code trickle} true),
     * so a client whose deadline is per read, not overall, waits for hours.
     */
    synchronized Tarpit tarpit(String address, boolean trickle) throws IOException {
        Tarpit t = new Tarpit(new InetSocketAddress(InetAddress.getByName(address), ports.https), trickle);
        tarpits.add(t);
        return t;
    }

    /** A TCP server that accepts and stalls (the hostile policy host of RFC 8461 §10.2's spirit). */
    static final class Tarpit implements AutoCloseable {
        private final java.net.ServerSocket server;
        private final boolean trickle;
        private final java.util.Set<java.net.Socket> open = java.util.concurrent.ConcurrentHashMap.newKeySet();
        private final java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();

        Tarpit(InetSocketAddress bind, boolean trickle) throws IOException {
            this.server = new java.net.ServerSocket();
            this.server.bind(bind, 1000);
            this.trickle = trickle;
            Thread t = new Thread(this::acceptLoop, "tarpit-" + bind);
            t.setDaemon(true);
            t.start();
        }

        private void acceptLoop() {
            while (!server.isClosed()) {
                try {
                    java.net.Socket s = server.accept();
                    accepted.incrementAndGet();
                    open.add(s);
                    Thread h = new Thread(() -> hold(s), "tarpit-conn");
                    h.setDaemon(true);
                    h.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        /** Holds one connection until the client gives up (its read returns end of stream or fails). */
        private void hold(java.net.Socket s) {
            try (s) {
                if (trickle) {
                    // TLS record header: handshake, TLS 1.2, length 2^14; then one zero byte a second.
                    byte[] head = {0x16, 0x03, 0x03, 0x40, 0x00};
                    java.io.OutputStream out = s.getOutputStream();
                    for (int i = 0; !s.isClosed(); i++) {
                        out.write(i < head.length ? head[i] : 0);
                        out.flush();
                        Thread.sleep(1000);
                    }
                } else {
                    java.io.InputStream in = s.getInputStream();
                    while (in.read() >= 0) {
                        // read and discard the ClientHello; answer nothing
                    }
                }
            } catch (IOException e) {
                // the client gave up: that is what a tarpit waits for
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                open.remove(s);
            }
        }

        /** Connections being held right now (each one a policy fetch in flight). */
        int open() {
            return open.size();
        }

        int accepted() {
            return accepted.get();
        }

        @Override
        public void close() {
            try {
                server.close();
            } catch (IOException e) {
                // closing anyway
            }
            for (java.net.Socket s : open) {
                try {
                    s.close();
                } catch (IOException e) {
                    // closing anyway
                }
            }
        }
    }

    /** Policy fetches held by the tarpits right now. */
    synchronized int tarpitConnections() {
        return tarpits.stream().mapToInt(Tarpit::open).sum();
    }

    /** Every receiver by the host name it serves (one receiver may serve several names). */
    synchronized Map<String, TestSmtpReceiver> receivers() {
        return new LinkedHashMap<>(receivers);
    }

    /**
     * Publishes the TLSA record 3 1 1 (DANE-EE, SubjectPublicKeyInfo, SHA2-256; RFC 7672 §3.1.1) of
     * {@code cert} for port 25 of {@code mxHost}; returns the record in presentation form.
     */
    String publishDaneEe(String mxHost, java.security.cert.X509Certificate cert) {
        byte[] digest;
        try {
            digest = java.security.MessageDigest.getInstance("SHA-256").digest(cert.getPublicKey().getEncoded());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is in every JDK", e);
        }
        String owner = "_25._tcp." + mxHost;
        dns.clear(owner).tlsa(owner, 3, 1, 1, digest);
        StringBuilder hex = new StringBuilder();
        for (byte b : digest) {
            hex.append(String.format(java.util.Locale.ROOT, "%02x", b));
        }
        return owner + " TLSA 3 1 1 " + hex;
    }

    /** Removes the {@code _mta-sts} TXT record of {@code domain}. */
    void withdrawRecord(String domain) {
        dns.clear("_mta-sts." + domain);
    }

    /** Stops the HTTPS server on {@code address}: its policy hosts stop answering (connection refused). */
    synchronized void policyServerDown(String address) {
        TestHttpsServer https = httpsServers.remove(address);
        if (https != null) {
            https.close();
        }
    }

    /** Policy fetches {@code mta-sts.DOMAIN} served so far (0 when its server is down). */
    synchronized int policyRequests(String domain, String address) {
        TestHttpsServer https = httpsServers.get(address);
        return https == null ? 0 : https.requests("mta-sts." + domain);
    }

    @Override
    public synchronized void close() {
        for (TestSmtpReceiver r : new java.util.LinkedHashSet<>(receivers.values())) {
            r.close();
        }
        for (TestHttpsServer s : httpsServers.values()) {
            s.close();
        }
        for (Tarpit t : tarpits) {
            t.close();
        }
        dns.close();
    }
}
