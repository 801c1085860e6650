package dev.jamesmtasts.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import org.xbill.DNS.Type;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.jamesmtasts.demo.SimulatedInternet.Tls;
import dev.jamesmtasts.mtasts.SafeJson;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.testing.TestCa;
import dev.jamesmtasts.testing.TestDnsServer;
import dev.jamesmtasts.testing.TestSmtpReceiver;
import dev.jamesmtasts.tlsrpt.PolicyType;
import dev.jamesmtasts.tlsrpt.ReportId;
import dev.jamesmtasts.tlsrpt.ResultType;

/**
 * The demo that {@code bin/demo} runs inside its private network namespace: a simulated internet
 * (DNS on 127.0.0.1:53, policy hosts on :443, STARTTLS receivers on port 25 of 127.0.0.x), a real
 * James 3.8.1 started by {@code bin/james-mta-sts} with the extension installed, mail sent into it over
 * SMTP, and per scenario what was published, what James did and what each receiver got. Exit status
 * 0 only when every scenario behaved as RFC 8461 requires.
 *
 * <p>Arguments: {@code --root REPO --work DIR [--mailet mta-sts|stock]}. With {@code stock}, the same
 * scenarios run through James's own RemoteDelivery: the contrast (it delivers to the impostor and in
 * clear text).
 */
public final class Demo {
    static final String SENDER = "demo@sender.example";
    static final String POLICY_HOST_ADDRESS = "127.0.0.1";
    /** The policy host of dark.example lives alone on this address, so it can go down by itself. */
    static final String DARK_POLICY_HOST_ADDRESS = "127.0.0.9";
    static final String IMPOSTOR = "mx.attacker.example";
    /** hijack.example's TLS-RPT report receiver (RFC 8460 §5.4), an HTTPS host of its own. */
    static final String REPORT_HTTPS_HOST = "tlsrpt.hijack.example";
    static final String REPORT_HTTPS_ADDRESS = "127.0.0.8";
    static final String REPORT_HTTPS_RUA = "https://" + REPORT_HTTPS_HOST + "/v1/tlsrpt";
    /** stripped.example's reports go by mail (RFC 8460 §5.3) to this mailbox, at a receiver of its own. */
    static final String REPORT_MAILBOX = "tlsrpt@reports.example";
    static final String REPORT_MX = "mx.reports.example";
    static final String REPORT_MX_ADDRESS = "127.0.0.18";
    /** The DNSSEC-signed top-level zone of scenarios j-l (RFC 7672); {@code example.} stays unsigned. */
    static final String SIGNED_TLD = "net.";
    static final String DANE_EE_MX = "mx.dane-ee.net";
    static final String DANE_MISMATCH_MX = "mx.tlsa-mismatch.net";
    static final String DANE_BOGUS_MX = "mx.bogus-sig.net";

    /** WebAdmin's JSON read back and written again, one report a line, escaped as WebAdmin escapes it. */
    private static final ObjectMapper JSON = SafeJson.newMapper();

    private final Path root;
    private final Path work;
    private final boolean stock;
    private final PrintStream out;
    private final long t0 = System.nanoTime();
    private final List<Scenario> scenarios = new ArrayList<>();

    Demo(Path root, Path work, boolean stock, PrintStream out) {
        this.root = root;
        this.work = work;
        this.stock = stock;
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(".");
        Path work = Path.of("run/demo");
        boolean stock = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--root": root = Path.of(args[++i]); break;
                case "--work": work = Path.of(args[++i]); break;
                case "--mailet": stock = "stock".equals(args[++i]); break;
                default: throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        int rc = new Demo(root.toAbsolutePath().normalize(), work.toAbsolutePath().normalize(), stock, System.out).run();
        System.exit(rc);
    }

    /** One scenario: what was published, what James did, what the receivers got, and the verdict. */
    static final class Scenario {
        final String key;
        final String title;
        final String requirement;
        /** The RFC whose requirement this is. */
        String rfc = "RFC 8461";
        /** The name in the summary table (the title unless shorter is needed). */
        String label;
        final List<String> published = new ArrayList<>();
        final List<String> james = new ArrayList<>();
        final List<String> receivers = new ArrayList<>();
        String observed = "not run";
        boolean pass;

        Scenario(String key, String title, String requirement) {
            this.key = key;
            this.title = title;
            this.requirement = requirement;
            this.label = title;
        }
    }

    int run() throws Exception {
        Files.createDirectories(work);
        DemoJames james = new DemoJames(root, work.resolve("james"));
        try (SimulatedInternet net = SimulatedInternet.start(SimulatedInternet.Ports.wellKnown())) {
            banner(net);
            Scenario a = scenario("a", "enforce, good MX", "delivered over verified TLS");
            Scenario b = scenario("b", "impostor MX injected in DNS", "held (queued), delivered once MX fixed");
            Scenario c = scenario("c", "certificate names another host", "not delivered (queued)");
            Scenario d = scenario("d", "STARTTLS stripped", "not delivered (queued)");
            Scenario e = scenario("e", "testing mode, MX not in policy", "delivered, failure counted");
            Scenario f = scenario("f", "no policy published", "delivered as RemoteDelivery");
            Scenario g = scenario("g", "policy host dark after caching", "stored policy still enforced");
            Scenario h = scenario("h", "inspection: JMX + /metrics", "cache listed, metrics exposed");
            Scenario i = scenario("i", "TLS-RPT: failures reach the domains' report endpoints",
                    "failures reported to each domain's rua");
            i.rfc = "RFC 8460";
            i.label = "TLS-RPT: failures reported";
            Scenario j = scenario("j", "DANE-EE: TLSA matches, cert not Web PKI", "delivered by DANE, whatever CA/name");
            Scenario k = scenario("k", "DANE: TLSA mismatch", "not delivered (queued)");
            Scenario l = scenario("l", "DANE: bogus DNSSEC signature on TLSA", "deferred, not delivered (queued)");
            j.rfc = k.rfc = l.rfc = "RFC 7672";
            l.label = "DANE: bogus DNSSEC signature";
            j.label = "DANE-EE match, cert not Web PKI";

            // RFC 7672 needs DNSSEC: the root and net. are signed under a test root key, given to James as
            // its trust anchor (dane.trustAnchors); example. is an unsigned delegation, so a-i are insecure.
            Path anchors = Files.writeString(work.resolve("dane-trust-anchor.txt"), net.signZones(SIGNED_TLD) + "\n");
            publishAll(net, a, b, c, d, e, f, g);
            publishTlsRpt(net, i);
            publishDane(net, j, k, l);

            Path overlay = work.resolve("conf-overlay");
            Path trust = net.writeTrustStore(Files.createDirectories(work).resolve("demo-ca.p12"));
            james.writeOverlay(overlay, stock ? DemoJames.STOCK_MAILET : DemoJames.MTA_STS_MAILET, "", trust,
                    "mta_sts_demo", 2,
                    // Every delivery re-checks the TXT record (RFC 8461 §5.1), so that James does see
                    // it disappear in scenario g (the default checks at most once a minute).
                    Map.of("cache.idCheckInterval", "0s",
                            // Scenario i: TLS-RPT (RFC 8460) on, with what a report names its sender by
                            // (§4.4 organization-name and contact-info, §5.3 the submitter and From).
                            "tlsrpt.enabled", "true",
                            "tlsrpt.organizationName", "james-mta-sts demo",
                            "tlsrpt.contactInfo", "postmaster@sender.example",
                            "tlsrpt.submitter", "sender.example",
                            "tlsrpt.sender", "tlsrpt@sender.example",
                            // Scenarios j-l: DANE (dane=follow is the mailet's default) validates from the
                            // demo's root key, and every attempt validates afresh (no cached answer).
                            "dane.trustAnchors", anchors.toString(),
                            "dane.cacheMaxTtl", "0s",
                            "dane.bogusTtl", "0s"));
            step("starting James 3.8.1 (" + (stock ? "stock RemoteDelivery: the contrast run" : "mailet "
                    + DemoJames.MTA_STS_MAILET) + ") with bin/james-mta-sts start --conf " + root.relativize(overlay));
            james.start(overlay);
            try {
                runScenarios(net, james, a, b, c, d, e, f, g, h, i, j, k, l);
            } finally {
                step("stopping James");
                james.stop();
            }
        }
        return report();
    }

    private void banner(SimulatedInternet net) {
        out.println("=== james-mta-sts demo: a real James 3.8.1 + the extension, on a simulated internet ===");
        out.println("Everything runs in a private network namespace (only loopback exists; nothing leaves it):");
        out.println("  DNS      127.0.0.1:53 (James's dnsservice.xml and the extension's dns.resolvers point here)");
        out.println("  HTTPS    policy hosts on " + POLICY_HOST_ADDRESS + ":443 and " + DARK_POLICY_HOST_ADDRESS
                + ":443, a TLS-RPT report receiver on " + REPORT_HTTPS_ADDRESS + ":443; certificates from a demo CA made just now");
        out.println("  SMTP     receivers on port 25 of 127.0.0.11-21 and 127.0.0.66 (the attacker), STARTTLS with demo-CA certificates");
        out.println("  DNSSEC   the root and net. signed under a test root key (James's dane.trustAnchors); example. unsigned");
        out.println("  James    SMTP 127.0.0.1:2525, WebAdmin 127.0.0.1:8000, JMX 127.0.0.1:9999; Cassandra 127.0.0.1:9042");
        out.println("Note: policy hosts are on loopback, so the demo sets fetch.allowPrivateAddresses=true;");
        out.println("      a production configuration keeps the default (false).");
        out.println();
    }

    private Scenario scenario(String key, String title, String requirement) {
        Scenario s = new Scenario(key, title, requirement);
        scenarios.add(s);
        return s;
    }

    static String policy(String mode, String... mx) {
        StringBuilder p = new StringBuilder("version: STSv1\nmode: ").append(mode).append('\n');
        for (String m : mx) {
            p.append("mx: ").append(m).append('\n');
        }
        return p.append("max_age: 86400\n").toString();
    }

    private static String describePolicy(String text) {
        return text.trim().replace("\n", "; ");
    }

    private void publishAll(SimulatedInternet net, Scenario a, Scenario b, Scenario c, Scenario d, Scenario e,
                            Scenario f, Scenario g) throws Exception {
        // a) enforce, the MX is the policy's and holds a valid certificate
        domain(net, a, "good.example", "a1", "enforce", "mx.good.example", POLICY_HOST_ADDRESS, "mx.good.example", "127.0.0.11",
                Tls.OWN_NAME, "certificate for mx.good.example");
        // b) enforce, but an attacker swapped the MX for a host with a genuine certificate of its own
        net.receiver("mx.hijack.example", "127.0.0.12", Tls.OWN_NAME);
        domain(net, b, "hijack.example", "b1", "enforce", "mx.hijack.example", POLICY_HOST_ADDRESS, IMPOSTOR, "127.0.0.66",
                Tls.OWN_NAME, "INJECTED by the attacker; genuine certificate for " + IMPOSTOR);
        // c) enforce, MX matches, but its certificate names another host
        domain(net, c, "wrongcert.example", "c1", "enforce", "mx.wrongcert.example", POLICY_HOST_ADDRESS, "mx.wrongcert.example", "127.0.0.13",
                Tls.OTHER_NAME, "certificate for mx.someone-else.example");
        // d) enforce, MX matches, STARTTLS stripped
        domain(net, d, "stripped.example", "d1", "enforce", "mx.stripped.example", POLICY_HOST_ADDRESS, "mx.stripped.example", "127.0.0.14",
                Tls.NONE, "offers NO STARTTLS");
        // e) testing, the MX is not in the policy
        domain(net, e, "testing.example", "e1", "testing", "mx.testing.example", POLICY_HOST_ADDRESS, "mx.unlisted.example", "127.0.0.15",
                Tls.OWN_NAME, "NOT in the policy (mx: mx.testing.example); valid certificate");
        // f) no policy at all
        domain(net, f, "plain.example", null, null, null, null, "mx.plain.example", "127.0.0.16", Tls.OWN_NAME,
                "STARTTLS with a valid certificate");
        // g) enforce; its policy host will go dark once the policy is stored
        domain(net, g, "dark.example", "g1", "enforce", "mx.dark.example", DARK_POLICY_HOST_ADDRESS, "mx.dark.example", "127.0.0.17",
                Tls.OWN_NAME, "certificate for mx.dark.example");
    }

    /**
     * Scenario i: hijack.example asks for its TLS-RPT reports (RFC 8460 §3) by HTTPS POST to its own
     * report receiver, stripped.example by mail to {@value #REPORT_MAILBOX} (reports.example's MX, a
     * STARTTLS receiver with a valid certificate; no MTA-STS policy).
     */
    private static void publishTlsRpt(SimulatedInternet net, Scenario i) throws Exception {
        net.serveHttps(REPORT_HTTPS_HOST, REPORT_HTTPS_ADDRESS);
        i.published.add("_smtp._tls.hijack.example TXT \"" + net.publishTlsRpt("hijack.example", REPORT_HTTPS_RUA)
                + "\"  (" + REPORT_HTTPS_HOST + ": " + REPORT_HTTPS_ADDRESS + ":443, an HTTPS report receiver)");
        net.receiver(REPORT_MX, REPORT_MX_ADDRESS, Tls.OWN_NAME);
        net.mx("reports.example", REPORT_MX);
        i.published.add("_smtp._tls.stripped.example TXT \"" + net.publishTlsRpt("stripped.example", "mailto:" + REPORT_MAILBOX)
                + "\"  (reports.example MX " + REPORT_MX + ", " + REPORT_MX_ADDRESS + ")");
    }

    /**
     * Scenarios j-l (RFC 7672), each domain in the signed zone net. with one MX and a TLSA record 3 1 1
     * for port 25 of it: j) the MX presents a certificate from a CA James does not trust, for another
     * name, and the TLSA record matches its key (DANE-EE ignores both, RFC 7672 §3.1.1); k) the MX
     * presents a certificate PKIX would accept (demo CA, its own name), but the TLSA record is another
     * key's; l) as k with a matching TLSA record whose RRSIG does not verify (bogus, RFC 4035 §5.3.3).
     */
    private static void publishDane(SimulatedInternet net, Scenario j, Scenario k, Scenario l) throws Exception {
        TestCa untrusted = TestCa.create("CA that James does not trust");
        TestCa.Issued eeCert = untrusted.issue("some-other-name.example");
        net.receiver(DANE_EE_MX, "127.0.0.19", eeCert);
        net.mx("dane-ee.net", DANE_EE_MX);
        j.published.add("dane-ee.net MX " + DANE_EE_MX + " (127.0.0.19, certificate for some-other-name.example"
                + " from a CA James does not trust); zone signed");
        j.published.add(net.publishDaneEe(DANE_EE_MX, eeCert.certificate()) + "  (its key)");

        net.receiver(DANE_MISMATCH_MX, "127.0.0.20", Tls.OWN_NAME);
        net.mx("tlsa-mismatch.net", DANE_MISMATCH_MX);
        k.published.add("tlsa-mismatch.net MX " + DANE_MISMATCH_MX + " (127.0.0.20, valid demo-CA certificate for "
                + DANE_MISMATCH_MX + "); zone signed");
        k.published.add(net.publishDaneEe(DANE_MISMATCH_MX, untrusted.issue(DANE_MISMATCH_MX).certificate())
                + "  (ANOTHER key's)");

        TestCa.Issued bogusCert = net.ca().issue(DANE_BOGUS_MX);
        net.receiver(DANE_BOGUS_MX, "127.0.0.21", bogusCert);
        net.mx("bogus-sig.net", DANE_BOGUS_MX);
        l.published.add("bogus-sig.net MX " + DANE_BOGUS_MX + " (127.0.0.21, valid demo-CA certificate for "
                + DANE_BOGUS_MX + "); zone signed");
        l.published.add(net.publishDaneEe(DANE_BOGUS_MX, bogusCert.certificate()) + "  (its key)");
        net.dns().signatureFault("_25._tcp." + DANE_BOGUS_MX, Type.TLSA, TestDnsServer.SignatureFault.BAD_SIGNATURE);
        l.published.add("its RRSIG altered: the signature does not verify (bogus)");
    }

    /**
     * Publishes {@code domain}: its MX (a receiver on its own address) and, when {@code id} is given,
     * an MTA-STS policy of {@code mode} with {@code mx: policyMx}, served from {@code policyAddress}.
     */
    private static void domain(SimulatedInternet net, Scenario s, String domain, String id, String mode,
                               String policyMx, String policyAddress, String mxHost, String mxAddress, Tls tls, String mxNote)
            throws Exception {
        if (id != null) {
            String text = policy(mode, policyMx);
            net.publish(domain, id, text, policyAddress);
            s.published.add("_mta-sts." + domain + " TXT \"v=STSv1; id=" + id + ";\"  policy from " + policyAddress
                    + ": " + describePolicy(text).replace("version: STSv1; ", ""));
        } else {
            s.published.add("no _mta-sts." + domain + " TXT record (NXDOMAIN)");
        }
        net.receiver(mxHost, mxAddress, tls);
        net.mx(domain, mxHost);
        s.published.add(domain + " MX " + mxHost + " (" + mxAddress + ", " + mxNote + ")");
    }

    private void runScenarios(SimulatedInternet net, DemoJames james, Scenario a, Scenario b, Scenario c,
                              Scenario d, Scenario e, Scenario f, Scenario g, Scenario h, Scenario i,
                              Scenario j, Scenario k, Scenario l)
            throws Exception {
        TestSmtpReceiver good = net.receiver("mx.good.example");
        TestSmtpReceiver hijackReal = net.receiver("mx.hijack.example");
        TestSmtpReceiver impostor = net.receiver(IMPOSTOR);
        TestSmtpReceiver wrongCert = net.receiver("mx.wrongcert.example");
        TestSmtpReceiver stripped = net.receiver("mx.stripped.example");
        TestSmtpReceiver unlisted = net.receiver("mx.unlisted.example");
        TestSmtpReceiver plain = net.receiver("mx.plain.example");
        TestSmtpReceiver dark = net.receiver("mx.dark.example");

        // The UTC day of these deliveries: the day whose TLS-RPT reports scenario i sends (RFC 8460 §4.1).
        LocalDate reportDay = ReportId.day(Instant.now());
        step("sending 10 mails into James over SMTP (127.0.0.1:2525), one per scenario a-g and j-l");
        try (DemoJames.Smtp smtp = new DemoJames.Smtp()) {
            smtp.send(SENDER, "alice@good.example", "[a] enforce, good MX");
            smtp.send(SENDER, "bob@hijack.example", "[b] enforce, impostor MX");
            smtp.send(SENDER, "carol@wrongcert.example", "[c] enforce, wrong certificate");
            smtp.send(SENDER, "dave@stripped.example", "[d] enforce, STARTTLS stripped");
            smtp.send(SENDER, "erin@testing.example", "[e] testing, unlisted MX");
            smtp.send(SENDER, "frank@plain.example", "[f] no policy");
            smtp.send(SENDER, "grace@dark.example", "[g1] enforce, before the policy host goes dark");
            smtp.send(SENDER, "judy@dane-ee.net", "[j] DANE-EE, TLSA matches");
            smtp.send(SENDER, "ken@tlsa-mismatch.net", "[k] DANE, TLSA mismatch");
            smtp.send(SENDER, "lee@bogus-sig.net", "[l] DANE, bogus signature");
        }
        // Each domain settles once its mail was delivered somewhere, or once James made at least 3
        // attempts (each asks DNS for the MX, James's DNS cache being off): two retries after a refusal.
        boolean settled = await(60, () -> settled(net, "good.example", "[a]") && settled(net, "hijack.example", "[b]")
                && settled(net, "wrongcert.example", "[c]") && settled(net, "stripped.example", "[d]")
                && settled(net, "testing.example", "[e]") && settled(net, "plain.example", "[f]")
                && settled(net, "dark.example", "[g1]") && settled(net, "dane-ee.net", "[j]")
                && settled(net, "tlsa-mismatch.net", "[k]") && settled(net, "bogus-sig.net", "[l]"));
        step(settled ? "first round settled (delivered, or held and retried at least twice)"
                : "first round: time-out after 60 s waiting for deliveries/retries (reported below)");
        int impostorBefore = impostor.messages("[b]").size();
        int hijackAttempts = attempts(net, "hijack.example");

        // b) phase 2: the administrator of hijack.example restores the MX.
        step("b) hijack.example's MX restored to mx.hijack.example");
        net.mx("hijack.example", "mx.hijack.example");

        // g) phase 2: the policy host goes dark and the TXT record disappears.
        step("g) policy host " + DARK_POLICY_HOST_ADDRESS + ":443 stopped, _mta-sts.dark.example TXT removed");
        int darkFetches = net.policyRequests("dark.example", DARK_POLICY_HOST_ADDRESS);
        net.policyServerDown(DARK_POLICY_HOST_ADDRESS);
        net.withdrawRecord("dark.example");
        try (DemoJames.Smtp smtp = new DemoJames.Smtp()) {
            smtp.send(SENDER, "grace@dark.example", "[g2] enforce, policy host dark, MX still good");
        }
        boolean g2 = await(30, () -> !dark.messages("[g2]").isEmpty());
        step("g) attacker now swaps dark.example's MX for " + IMPOSTOR + "; one more mail");
        net.mx("dark.example", IMPOSTOR);
        int darkMxBefore = attempts(net, "dark.example");
        try (DemoJames.Smtp smtp = new DemoJames.Smtp()) {
            smtp.send(SENDER, "grace@dark.example", "[g3] enforce, policy host dark, MX hijacked");
        }
        await(30, () -> !hijackReal.messages("[b]").isEmpty() || !impostor.messages("[b]").isEmpty());
        boolean bDelivered = !hijackReal.messages("[b]").isEmpty();
        await(30, () -> !impostor.messages("[g3]").isEmpty() || attempts(net, "dark.example") - darkMxBefore >= 3);

        // i) Before the queue is read (that stops its dequeuing, see below): the report by mail goes
        // through James's outgoing queue like any mail.
        sendReports(net, james, i, reportDay);

        // One look at the outgoing queue, at the end: with James 3.8.1's memory queue, a WebAdmin
        // request naming a queue stops that queue's dequeuing for good (seen here), so the demo
        // looks once, when nothing is left to deliver.
        step("reading the outgoing queue through WebAdmin (GET /mailQueues/outgoing/mails)");
        List<String> queued = new ArrayList<>(james.queuedRecipients());
        if (!queued.containsAll(List.of("carol@wrongcert.example", "dave@stripped.example", "grace@dark.example",
                "ken@tlsa-mismatch.net", "lee@bogus-sig.net"))) {
            // A held mail that is being retried at this very moment is out of the queue until its attempt
            // ends; the first read stopped dequeuing, so a second read a moment later finds it back.
            Thread.sleep(2_000);
            for (String r : james.queuedRecipients()) {
                if (!queued.contains(r)) {
                    queued.add(r);
                }
            }
        }
        List<String> queuedB = queued.contains("bob@hijack.example") ? List.of("bob@hijack.example") : List.of();
        List<String> queuedC = queued.contains("carol@wrongcert.example") ? List.of("carol@wrongcert.example") : List.of();
        List<String> queuedD = queued.contains("dave@stripped.example") ? List.of("dave@stripped.example") : List.of();
        List<String> queuedG = queued.contains("grace@dark.example") ? List.of("grace@dark.example") : List.of();

        // ---- verdicts ----
        List<TestSmtpReceiver.Received> ra = good.messages("[a]");
        a.james.addAll(logExcerpt(james, "good.example"));
        a.receivers.add(got(good, "[a]"));
        a.pass = ra.size() == 1 && ra.get(0).overTls() && "mx.good.example".equals(ra.get(0).sni);
        a.observed = ra.isEmpty() ? "not delivered" : "delivered, " + ra.get(0).tlsProtocol + ", SNI " + ra.get(0).sni;

        List<TestSmtpReceiver.Received> rb = hijackReal.messages("[b]");
        b.james.add(hijackAttempts + " delivery attempts (MX lookups) while the impostor MX was published, "
                + (impostorBefore == 0 ? "none reached it" : "it got the mail"));
        b.james.add("after the fix: " + (bDelivered ? "delivered on the next retry" : "not delivered")
                + "; outgoing queue at the end: " + (queuedB.isEmpty() ? "empty for bob@hijack.example" : "still holds it"));
        b.james.addAll(logExcerpt(james, "hijack.example"));
        b.receivers.add(IMPOSTOR + ": " + (impostor.messages("[b]").isEmpty() ? "nothing"
                : impostor.messages("[b]").size() + " message(s) " + impostor.messages("[b]").get(0).describe()));
        b.receivers.add("then the MX was fixed -> " + got(hijackReal, "[b]"));
        b.pass = impostor.messages("[b]").isEmpty() && hijackAttempts >= 3 && bDelivered && rb.get(0).overTls();
        b.observed = (impostor.messages("[b]").isEmpty() ? "impostor got nothing, held" : "DELIVERED TO IMPOSTOR")
                + (bDelivered ? "; fixed MX got it" : "; not delivered after fix");

        c.james.add(attempts(net, "wrongcert.example") + " MX lookups (delivery attempts); "
                + (queuedC.isEmpty() ? "mail NOT in the outgoing queue" : "mail kept in the outgoing queue " + queuedC));
        c.james.addAll(logExcerpt(james, "wrongcert.example"));
        c.receivers.add(got(wrongCert, "[c]"));
        c.pass = wrongCert.messages("[c]").isEmpty() && !queuedC.isEmpty();
        c.observed = wrongCert.messages("[c]").isEmpty() ? "not delivered, queued" : "DELIVERED";

        d.james.add(attempts(net, "stripped.example") + " MX lookups (delivery attempts); "
                + (queuedD.isEmpty() ? "mail NOT in the outgoing queue" : "mail kept in the outgoing queue " + queuedD));
        d.james.addAll(logExcerpt(james, "stripped.example"));
        d.receivers.add(got(stripped, "[d]"));
        d.pass = stripped.messages("[d]").isEmpty() && !queuedD.isEmpty();
        d.observed = stripped.messages("[d]").isEmpty() ? "not delivered, queued"
                : "DELIVERED " + stripped.messages("[d]").get(0).describe().replaceAll(":.*", "");

        String metrics = james.webAdmin("/metrics");
        List<String> mtaStsMetrics = metricLines(metrics);
        List<TestSmtpReceiver.Received> re = unlisted.messages("[e]");
        e.james.addAll(logExcerpt(james, "testing.example"));
        List<String> testingCounters = mtaStsMetrics.stream().filter(line -> line.toLowerCase(Locale.ROOT).contains("testing"))
                .collect(Collectors.toList());
        e.james.add("metrics mentioning testing: " + (testingCounters.isEmpty() ? "none" : String.join("; ", testingCounters)));
        e.receivers.add(got(unlisted, "[e]"));
        boolean counted = testingCounters.stream().anyMatch(Demo::positiveSample);
        e.pass = re.size() == 1 && counted;
        e.observed = (re.isEmpty() ? "not delivered" : "delivered") + (counted ? ", counted" : ", NOT counted");

        List<TestSmtpReceiver.Received> rf = plain.messages("[f]");
        f.james.addAll(logExcerpt(james, "plain.example"));
        f.receivers.add(got(plain, "[f]"));
        f.pass = rf.size() == 1;
        f.observed = rf.isEmpty() ? "not delivered" : "delivered, " + (rf.get(0).overTls() ? rf.get(0).tlsProtocol : "clear text");

        boolean g1 = !dark.messages("[g1]").isEmpty();
        // [g3] is held when the impostor got nothing and the mail waits for a retry: found in the queue, or
        // (when its retry was in flight at the queue read) deferred by the stored policy in James's log;
        // g1 and g2 were delivered, so a deferred dark.example attempt is g3's.
        boolean impostorGotG3 = !impostor.messages("[g3]").isEmpty();
        boolean g3Deferred = !james.logLines("enforced-deferred domain=dark.example", 1).isEmpty();
        boolean g3Held = !impostorGotG3 && (!queuedG.isEmpty() || g3Deferred);
        g.published.add("then: policy host stopped (fetched " + darkFetches + "x before), TXT removed, and later MX -> "
                + IMPOSTOR);
        g.james.add("TXT queries for _mta-sts.dark.example: " + net.dns().queries("_mta-sts.dark.example", Type.TXT)
                + "; [g3] " + (queuedG.isEmpty() ? "NOT in the outgoing queue" + (g3Deferred ? " (a retry in flight at the read;"
                + " deferred by the stored policy, see the log)" : "") : "kept in the outgoing queue " + queuedG));
        String stored = james.webAdmin("/mta-sts/policies/dark.example");
        g.james.add("$ curl -s http://127.0.0.1:" + DemoJames.WEBADMIN_PORT + "/mta-sts/policies/dark.example");
        g.james.add(stored == null ? "(no answer)" : stored.length() > 160 ? stored.substring(0, 157) + "..." : stored);
        g.james.addAll(logExcerpt(james, "dark.example"));
        g.receivers.add("mx.dark.example: [g1] " + (g1 ? "delivered" : "missing") + ", [g2] "
                + (g2 ? "delivered (policy host dark)" : "missing"));
        g.receivers.add(IMPOSTOR + ": [g3] " + (impostor.messages("[g3]").isEmpty() ? "nothing"
                : "DELIVERED " + impostor.messages("[g3]").get(0).describe()));
        g.pass = g1 && g2 && g3Held;
        g.observed = (impostorGotG3 ? "IMPOSTOR GOT [g3]"
                : g3Held ? "impostor refused from stored policy" : "[g3] neither queued nor deferred")
                + (g2 ? "" : ", [g2] missing");

        inspect(james, h, mtaStsMetrics, metrics != null);
        judgeReports(net, i);
        judgeDane(net, james, j, k, l, queued);
    }

    /** Scenarios j-l: what the DANE receivers got, and whether the refused mails are still queued. */
    private static void judgeDane(SimulatedInternet net, DemoJames james, Scenario j, Scenario k, Scenario l,
                                  List<String> queued) {
        List<String> state = logExcerpt(james, "DANE (RFC 7672) is ");
        TestSmtpReceiver ee = net.receiver(DANE_EE_MX);
        List<TestSmtpReceiver.Received> rj = ee.messages("[j]");
        j.james.addAll(state);
        j.james.addAll(logExcerpt(james, "dane-ee.net"));
        j.receivers.add(got(ee, "[j]"));
        j.pass = rj.size() == 1 && rj.get(0).overTls();
        j.observed = rj.isEmpty() ? "not delivered" : "delivered, " + (rj.get(0).overTls() ? rj.get(0).tlsProtocol
                + ", untrusted CA, other name" : "CLEAR TEXT");

        held(net, james, k, DANE_MISMATCH_MX, "[k]", "ken@tlsa-mismatch.net", "tlsa-mismatch.net", queued,
                attempts(net, "tlsa-mismatch.net") + " MX lookups (delivery attempts)", "not delivered", "the mismatch");
        held(net, james, l, DANE_BOGUS_MX, "[l]", "lee@bogus-sig.net", "bogus-sig.net", queued,
                net.dns().queries("_25._tcp." + DANE_BOGUS_MX, Type.TLSA) + " TLSA queries (each answer bogus)",
                "deferred", "the bogus signature");
        // what an administrator asks James about these domains (after the verdicts: shown, not judged)
        domainCheck(james, j, "dane-ee.net");
        domainCheck(james, k, "tlsa-mismatch.net");
        domainCheck(james, l, "bogus-sig.net");
    }

    /**
     * A few lines of James's own live check of {@code domain} ({@code GET /mta-sts/domains/D/check}, the
     * same as {@code bin/mta-sts check --jmx}): the verdict with its reason, and per MX host its TLSA
     * records' usability, the TLSA check, the certificate's PKIX verdict and whether the next attempt
     * would use it. Shown only: a scenario's verdict does not depend on it.
     */
    private static void domainCheck(DemoJames james, Scenario s, String domain) {
        String path = "/mta-sts/domains/" + domain + "/check";
        s.james.add("check  $ curl -s http://127.0.0.1:" + DemoJames.WEBADMIN_PORT + path);
        s.james.addAll(checkLines(james.webAdmin(path, java.time.Duration.ofSeconds(40))));
    }

    /** The summary lines of a check report (escaped: the report holds text from the domain's servers). */
    static List<String> checkLines(String body) {
        List<String> lines = new ArrayList<>();
        JsonNode r;
        try {
            r = body == null ? null : JSON.readTree(body);
        } catch (java.io.IOException e) {
            r = null;
        }
        if (r == null || !r.has("verdict")) {
            lines.add("       (no answer)");
            return lines;
        }
        JsonNode v = r.path("verdict");
        lines.add("       verdict: " + v.path("action").asText() + " (" + v.path("policy").asText() + "): "
                + shorten(v.path("reason").asText(), 150));
        for (JsonNode mx : r.path("mx")) {
            String host = SafeText.display(mx.path("host").asText());
            JsonNode dane = mx.path("dane");
            List<String> tlsa = new ArrayList<>();
            for (JsonNode t : dane.path("tlsa")) {
                tlsa.add(shorten(t.path("record").asText(), 24) + (t.path("usable").asBoolean() ? " usable" : " unusable"));
            }
            JsonNode ver = dane.path("verification");
            lines.add("       " + host + ": DANE " + dane.path("status").asText("-")
                    + (tlsa.isEmpty() ? "" : ", TLSA " + String.join("; ", tlsa))
                    + (ver.isMissingNode() ? "" : ", TLSA check " + ver.path("outcome").asText()));
            JsonNode cert = mx.path("certificate");
            lines.add("       " + host + ": STARTTLS " + mx.path("probe").path("starttls").asText("-")
                    + ", " + mx.path("probe").path("tls_version").asText("no TLS")
                    + ", certificate (PKIX) " + cert.path("verdict").asText("-")
                    + (cert.has("names") ? " " + shorten(cert.path("names").toString(), 60) : ""));
            JsonNode next = mx.path("next_attempt");
            lines.add("       " + host + ": next attempt " + (next.path("use").asBoolean() ? "uses it" : "skips it")
                    + ": " + shorten(next.path("reason").asText(), 120));
        }
        return lines;
    }

    private static String shorten(String s, int max) {
        return SafeText.display(s, max);
    }

    /** A DANE scenario whose mail must stay queued: what {@code mxHost} got, and the queue's answer. */
    private static void held(SimulatedInternet net, DemoJames james, Scenario s, String mxHost, String tag,
                             String recipient, String domain, List<String> queued, String attempts, String held,
                             String fault) {
        TestSmtpReceiver mx = net.receiver(mxHost);
        boolean inQueue = queued.contains(recipient);
        s.james.add(attempts + "; " + (inQueue ? "mail kept in the outgoing queue [" + recipient + "]"
                : "mail NOT in the outgoing queue"));
        s.james.addAll(logExcerpt(james, domain));
        s.receivers.add(got(mx, tag) + "; " + mx.transactions() + " MAIL FROM");
        s.pass = mx.messages(tag).isEmpty() && inQueue;
        s.observed = mx.messages(tag).isEmpty() ? held + (inQueue ? ", queued" : ", NOT queued")
                : "DELIVERED despite " + fault;
    }

    /**
     * Scenario i, first half: the reports of {@code day} go out now. James sends a day's reports after
     * that day ended (00:00 UTC plus a random delay of up to tlsrpt.sendDelayMax); an administrator,
     * like this demo, does not wait: WebAdmin's send-now (the same as {@code bin/mta-sts tlsrpt
     * send-now --day D}) flushes the node's counts and sends, the day not being over, an interim report
     * of the day so far (report-id {@code YYYYMMDD-2.<domain>@<submitter>}, date-range up to now, rows
     * marked {@code "interim":true}); the whole day's report would follow after midnight. Then waits for
     * both report receivers.
     */
    private void sendReports(SimulatedInternet net, DemoJames james, Scenario i, LocalDate day) throws Exception {
        String path = "/mta-sts/tlsrpt/send-now?day=" + day;
        step("i) sending the TLS-RPT reports of " + day + " now: POST " + path);
        i.james.add("$ curl -s -X POST 'http://127.0.0.1:" + DemoJames.WEBADMIN_PORT + path + "'");
        Map.Entry<Integer, String> answer = james.webAdminPost(path);
        i.james.addAll(sendNowLines(answer.getKey(), answer.getValue()));
        i.james.addAll(logExcerpt(james, "TLS-RPT report ")); // "report <id> sent to [...]", not "reporting started"
        if (sendNowRows(answer.getKey(), answer.getValue()).stream().noneMatch(r -> "sent".equals(r.path("outcome").asText()))) {
            step("i) James sent no report");
            return;
        }
        TestSmtpReceiver reports = net.receiver(REPORT_MX);
        boolean arrived = await(30, () -> net.httpsRequests(REPORT_HTTPS_HOST, REPORT_HTTPS_ADDRESS) > 0 && reports.count() > 0);
        step(arrived ? "i) both report receivers got a report"
                : "i) time-out after 30 s waiting for the report receivers (reported below)");
    }

    /** The rows of WebAdmin's send-now answer; empty when it did not answer 200 with a JSON array. */
    static List<JsonNode> sendNowRows(int status, String body) {
        List<JsonNode> rows = new ArrayList<>();
        if (status == 200) {
            try {
                JSON.readTree(body).forEach(rows::add);
            } catch (IOException e) {
                // not JSON: no rows (sendNowLines says so)
            }
        }
        return rows;
    }

    /**
     * WebAdmin's send-now answer: one JSON object per report ({@code domain, day, outcome, rua, detail,
     * report_id}); the domains without a TLS-RPT record on one line.
     */
    static List<String> sendNowLines(int status, String body) {
        List<String> out = new ArrayList<>();
        if (status != 200) {
            out.add("HTTP " + status + ": " + SafeText.of(body, 200));
            return out;
        }
        List<String> noRecord = new ArrayList<>();
        List<JsonNode> rows = sendNowRows(status, body);
        for (JsonNode row : rows) {
            if ("no_record".equals(row.path("outcome").asText())) {
                noRecord.add(SafeText.of(row.path("domain").asText()));
            } else {
                out.add(SafeText.display(row.toString(), 300));
            }
        }
        if (rows.isEmpty()) {
            out.add("[]".equals(body.trim()) ? "[] (no report of that day: nothing was recorded)"
                    : "unreadable answer: " + SafeText.of(body, 200));
        }
        if (!noRecord.isEmpty()) {
            out.add("no_record (no _smtp._tls TXT record, nothing to send): " + String.join(", ", noRecord));
        }
        return out;
    }

    /**
     * Scenario i, second half: what each report receiver got, parsed back field by field. hijack.example's
     * report must count the impostor MX as a validation-failure (how {@code james.TlsRptResults} reports
     * an MX the policy does not list, RFC 8461 §4.1; RFC 8460 §4.3 has no type of its own for it);
     * stripped.example's must count starttls-not-supported (RFC 8460 §4.3.1).
     */
    private static void judgeReports(SimulatedInternet net, Scenario i) {
        ReceivedTlsReport post = ReceivedTlsReport.ofPost(net.lastHttpsRequest(REPORT_HTTPS_HOST, REPORT_HTTPS_ADDRESS),
                net.lastHttpsBody(REPORT_HTTPS_HOST, REPORT_HTTPS_ADDRESS));
        int posts = net.httpsRequests(REPORT_HTTPS_HOST, REPORT_HTTPS_ADDRESS);
        i.receivers.add(REPORT_HTTPS_HOST + ": " + (posts == 0 ? "nothing" : posts + " request(s), the last:"));
        if (posts > 0) {
            post.lines().forEach(l -> i.receivers.add("  " + l));
        }
        TestSmtpReceiver mailbox = net.receiver(REPORT_MX);
        List<TestSmtpReceiver.Received> mails = mailbox.received();
        i.receivers.add(REPORT_MX + ": " + (mails.isEmpty() ? "nothing" : mails.size() + " message(s), the first from "
                + SafeText.of(mails.get(0).from) + " " + (mails.get(0).overTls() ? "over " + mails.get(0).tlsProtocol
                : "in clear text") + ":"));
        ReceivedTlsReport mail = mails.isEmpty() ? null : ReceivedTlsReport.ofMail(mails.get(0).data);
        if (mail != null) {
            mail.lines().forEach(l -> i.receivers.add("  " + l));
        }
        boolean postOk = post.reports("hijack.example", PolicyType.STS, ResultType.VALIDATION_FAILURE, IMPOSTOR);
        boolean mailOk = mail != null && mail.reports("stripped.example", PolicyType.STS,
                ResultType.STARTTLS_NOT_SUPPORTED, "mx.stripped.example");
        i.pass = postOk && mailOk;
        i.observed = (posts == 0 ? "no POST" : postOk ? "POST names impostor" : "POST lacks the impostor") + "; "
                + (mail == null ? "no report mail" : mailOk ? "mail names stripping" : "mail lacks the stripping");
    }

    private void inspect(DemoJames james, Scenario h, List<String> mtaStsMetrics, boolean metricsAnswered)
            throws Exception {
        // James 3.8.1 protects its JMX endpoint: at first start it writes a random password for
        // james-admin into conf/jmxremote.password (as an administrator would read it).
        String[] credentials = james.jmxCredentials();
        List<String> cmd = List.of(root.resolve("bin/mta-sts").toString(), "jmx", "--jmx",
                "127.0.0.1:" + DemoJames.JMX_PORT, "--user", credentials[0], "--password", credentials[1], "list");
        h.published.add("$ bin/mta-sts jmx --jmx 127.0.0.1:" + DemoJames.JMX_PORT + " --user " + credentials[0]
                + " --password \"$(cut -d' ' -f2 conf/jmxremote.password)\" list");
        Map.Entry<Integer, String> jmx = stock ? Map.entry(-1, "(stock James: no MTA-STS MBean)") : DemoJames.capture(cmd);
        for (String line : jmx.getValue().split("\n")) {
            if (!line.isBlank()) {
                h.james.add(line);
            }
        }
        h.receivers.add("$ curl -s http://127.0.0.1:" + DemoJames.WEBADMIN_PORT
                + "/metrics | grep -E '^(mtaSts_delivery_|mtasts_cache_get_|mtaSts_policyCheck)'");
        if (mtaStsMetrics.isEmpty()) {
            h.receivers.add(metricsAnswered ? "(no MTA-STS metric)" : "(WebAdmin /metrics did not answer)");
        }
        for (String m : mtaStsMetrics) {
            h.receivers.add(m);
        }
        String listing = jmx.getValue();
        boolean listed = jmx.getKey() == 0 && listing.contains("good.example") && listing.contains("dark.example")
                && listing.contains("hijack.example");
        h.pass = listed && mtaStsMetrics.stream().anyMatch(l -> l.startsWith("mtaSts_delivery_enforced_delivered")
                && positiveSample(l));
        h.observed = (listed ? "cache listed" : "cache NOT listed") + ", "
                + (mtaStsMetrics.isEmpty() ? "no metrics" : mtaStsMetrics.size() + " metric lines");
    }

    /**
     * The MTA-STS lines of WebAdmin's Prometheus output worth a look: deliveries by verdict, cache
     * results, and the policy-check timer's median and 99th percentile.
     */
    private static List<String> metricLines(String metrics) {
        List<String> out = new ArrayList<>();
        if (metrics == null) {
            return out;
        }
        for (String line : metrics.split("\n")) {
            if (line.startsWith("mtaSts_delivery_") || line.startsWith("mtasts_cache_get_")
                    || line.startsWith("mtaSts_policyCheck{quantile=\"0.5\"")
                    || line.startsWith("mtaSts_policyCheck{quantile=\"0.99\"")
                    || line.startsWith("mtaSts_policyCheck_count")) {
                out.add(line.trim());
            }
        }
        java.util.Collections.sort(out);
        return out;
    }

    private static boolean positiveSample(String line) {
        String[] parts = line.trim().split("\\s+");
        try {
            return Double.parseDouble(parts[parts.length - 1]) > 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static int attempts(SimulatedInternet net, String domain) {
        return net.dns().queries(domain, Type.MX);
    }

    private static String got(TestSmtpReceiver r, String tag) {
        List<TestSmtpReceiver.Received> m = r.messages(tag);
        if (m.isEmpty()) {
            return r.name() + ": nothing";
        }
        return r.name() + ": " + m.size() + " message(s) " + m.get(0).describe();
    }

    /** Delivered somewhere (any receiver got a message tagged {@code tag}), or attempted 3 times. */
    private static boolean settled(SimulatedInternet net, String domain, String tag) {
        return net.delivered(tag) || attempts(net, domain) >= 3;
    }

    private static List<String> logExcerpt(DemoJames james, String needle) {
        List<String> out = new ArrayList<>();
        for (String line : james.logLines(needle, 2)) {
            String l = line.replaceFirst("^\\S+ \\S+\\s+\\[[^]]*\\] ", "")
                    .replaceAll("Mail \\(Mail[^)]*\\) ", "mail ")
                    .replaceAll("Mail\\d+-[0-9a-f-]{36}", "mail")
                    .replaceAll(" with messageId <[^>]*>", "").trim();
            out.add("log: " + SafeText.display(l, 160));
        }
        return out;
    }

    /** Polls {@code condition} every 200 ms until it holds or {@code seconds} pass; its last value. */
    static boolean await(int seconds, BooleanSupplier condition) {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return condition.getAsBoolean();
    }

    private void step(String text) {
        out.printf(Locale.ROOT, "[%5.1fs] %s%n", (System.nanoTime() - t0) / 1e9, text);
        out.flush();
    }

    private int report() {
        out.println();
        for (Scenario s : scenarios) {
            out.println("--- " + s.key + ") " + s.title + " " + "-".repeat(Math.max(3, 70 - s.title.length())));
            print("published", s.published);
            print(s.key.equals("h") ? "JMX" : "James", s.james);
            print(s.key.equals("h") ? "metrics" : "receivers", s.receivers);
            out.println("  verdict    " + (s.pass ? "PASS" : "FAIL") + "  (" + s.rfc + " requires: " + s.requirement + ")");
        }
        out.println();
        String mailet = stock ? "stock RemoteDelivery (contrast run)" : "MtaStsRemoteDelivery";
        out.println("=== Summary (" + mailet + ") " + "=".repeat(60 - mailet.length()));
        out.printf(Locale.ROOT, "%-36s %-40s %-44s %s%n", "scenario", "RFC 8461 / 8460 / 7672 require", "observed", "verdict");
        int failed = 0;
        for (Scenario s : scenarios) {
            out.printf(Locale.ROOT, "%-36s %-40s %-44s %s%n", s.key + ") " + s.label, s.requirement,
                    s.observed.length() > 44 ? s.observed.substring(0, 41) + "..." : s.observed, s.pass ? "PASS" : "FAIL");
            if (!s.pass) {
                failed++;
            }
        }
        out.printf(Locale.ROOT, "%d of %d scenarios behaved as RFC 8461, RFC 8460 and RFC 7672 require (%.0f s)%n",
                scenarios.size() - failed, scenarios.size(), (System.nanoTime() - t0) / 1e9);
        out.flush();
        return failed == 0 ? 0 : 1;
    }

    private void print(String label, List<String> lines) {
        boolean first = true;
        for (String l : lines) {
            out.printf(Locale.ROOT, "  %-10s %s%n", first ? label : "", l);
            first = false;
        }
        if (lines.isEmpty()) {
            out.printf(Locale.ROOT, "  %-10s %s%n", label, "-");
        }
    }
}
