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
 * extension know), HTTPS policy hosts (one server per address, the certificate chosen by SNI), and
 * SMTP receivers each on port 25 (by default) of its own 127.0.0.x address, with certificates from a
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
    private final Map<String, TestHttpsServer> policyServers = new LinkedHashMap<>();
    private final Map<String, TestSmtpReceiver> receivers = new LinkedHashMap<>();
    private final List<String> published = new ArrayList<>();

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
        TestSmtpReceiver r = new TestSmtpReceiver(host,
                new InetSocketAddress(InetAddress.getByName(address), ports.smtp), cert == null ? null : cert.serverContext());
        receivers.put(host, r);
        dns.clear(host).a(host, address);
        return r;
    }

    /**
     * Starts one SMTP receiver on {@code address} serving all {@code hosts} (as a hosting provider's MX
     * does), with one valid certificate naming them all, and publishes their A records.
     */
    synchronized TestSmtpReceiver sharedReceiver(String address, List<String> hosts) throws IOException {
        TestSmtpReceiver r = new TestSmtpReceiver(hosts.get(0),
                new InetSocketAddress(InetAddress.getByName(address), ports.smtp),
                ca.issue(hosts.toArray(new String[0])).serverContext());
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
        String host = "mta-sts." + domain;
        dns.clear("_mta-sts." + domain).txt("_mta-sts." + domain, "v=STSv1; id=" + id + ";");
        dns.clear(host).a(host, address);
        TestHttpsServer https = policyServers.get(address);
        if (https == null) {
            https = TestHttpsServer.start(new InetSocketAddress(InetAddress.getByName(address), ports.https));
            policyServers.put(address, https);
        }
        https.host(host, ca.issue(host), Response.ok(policy));
        published.add(domain);
    }

    /** Removes the {@code _mta-sts} TXT record of {@code domain}. */
    void withdrawRecord(String domain) {
        dns.clear("_mta-sts." + domain);
    }

    /** Stops the HTTPS server on {@code address}: its policy hosts stop answering (connection refused). */
    synchronized void policyServerDown(String address) {
        TestHttpsServer https = policyServers.remove(address);
        if (https != null) {
            https.close();
        }
    }

    /** Policy fetches {@code mta-sts.DOMAIN} served so far (0 when its server is down). */
    synchronized int policyRequests(String domain, String address) {
        TestHttpsServer https = policyServers.get(address);
        return https == null ? 0 : https.requests("mta-sts." + domain);
    }

    @Override
    public synchronized void close() {
        for (TestSmtpReceiver r : new java.util.LinkedHashSet<>(receivers.values())) {
            r.close();
        }
        for (TestHttpsServer s : policyServers.values()) {
            s.close();
        }
        dns.close();
    }
}
