package dev.jamesmtasts.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.jamesmtasts.demo.SimulatedInternet.Tls;
import dev.jamesmtasts.testing.TestSmtpReceiver;

/**
 * {@code bin/demo --faults}: the fault benchmark (issue 9, Build 5) on the demo's simulated internet and a
 * real James 3.8.1 with the extension. One row per fault: mails injected, delivered, delivered after a
 * delay, bounced, pending (still queued, or held by a tarpit, at the end of the row), lost, and
 * unprotected (delivered to an enforce domain in clear text or to a host its policy does not list).
 * Goal of every row: 0 lost, 0 unprotected, plus the row's own check (throughput of unaffected mail at
 * least 0.8x, no forged log line, James started, stored policy enforced).
 *
 * <p>Every recipient's local part names its row ({@code f3-17@k05.example}: row 3, mail 17), so
 * receivers and the bounce repository are counted per row; pending is proved by the outgoing queue's
 * size ({@link #settle}). lost = injected - delivered - bounced - pending. Every wait is bounded; the
 * whole run takes about 10 to 20 minutes.
 *
 * <p>Arguments: {@code --root REPO --work DIR [--row N[,M]]}. Environment {@code DEMO_FAULTS_SELF_CHECK=lose-one}:
 * the self-check of the accounting ({@link #loseOne}). Needs bin/demo's namespace (ports 25, 53, 443)
 * and the Cassandra node bin/demo started (bin/cassandra, MTA_STS_CASSANDRA_DIR). Exit status 0 iff
 * every row that ran met its goal (2 when the self-check was asked for and found no mail to lose).
 */
public final class DemoFaults {
    private static final String KNOWN_RECEIVER = "127.0.0.100";
    private static final String NEW_RECEIVER = "127.0.0.101";
    private static final String TARPIT_RECEIVER = "127.0.0.102";
    private static final String HOSTILE_RECEIVER = "127.0.0.18";
    private static final String STAY_RECEIVER = "127.0.0.17";
    private static final String IMPOSTOR_ADDRESS = "127.0.0.66";
    private static final String STAY_POLICY_HOST = "127.0.0.9";
    private static final String HOSTILE_POLICY_HOST = "127.0.0.10";
    private static final String SILENT_TARPIT = "127.0.0.200";
    private static final String TRICKLE_TARPIT = "127.0.0.201";
    private static final String STORE_NAME = "cassandra.store.example";
    /** Row 6's cluster: node i on CLUSTER_FIRST + i (127.0.0.31..33), away from every other address here. */
    private static final String CLUSTER_FIRST = "127.0.0.3";
    private static final int KNOWN = 20;
    private static final int TARPIT_DOMAINS = 200;
    /** Delivered later than this after injection counts as "delivered after a delay". */
    private static final long DELAY_NANOS = 10_000_000_000L;
    /**
     * What a hostile domain tries to put at the start of a line of James's log: a time stamp James
     * itself never writes (as in issue 9's report), then a tag.
     */
    private static final String FORGED_STAMP = "00:00:00.000";
    private static final String FORGED = FORGED_STAMP + " [FORGED]";
    private static final String BOUNCES = "memory://var/mail/bounces/";
    private static final String ERRORS = "memory://var/mail/error/";
    /** Row 5's bound on James's start with the store down (bin/james-mta-sts's wait for /healthcheck). */
    private static final int STORE_DOWN_START_SECONDS = 240;
    /** The one value of DEMO_FAULTS_SELF_CHECK. */
    private static final String LOSE_ONE = "lose-one";

    private final Path root;
    private final Path work;
    private final PrintStream out;
    private final long t0 = System.nanoTime();
    private final List<Row> rows = new ArrayList<>();
    /** Recipient address -> when it was injected (nanoTime). */
    private final Map<String, Long> injectedAt = new ConcurrentHashMap<>();
    /** Enforce domain -> the MX host names its policy lists (RFC 8461 §4.1). */
    private final Map<String, Set<String>> enforce = new LinkedHashMap<>();
    private final List<String> known = new ArrayList<>();
    private final List<String> fresh = new ArrayList<>();
    private final List<String> tarpitted = new ArrayList<>();
    /** The rows to run ({@code --row}); empty: all. */
    private final Set<Integer> only = new LinkedHashSet<>();
    /**
     * Every row whose mails went into the James running now, warm-ups and row 3's baseline included: the
     * outgoing queue holds their undelivered mails, so {@link #settle} counts them all.
     */
    private final List<Row> onJames = new ArrayList<>();
    /** DEMO_FAULTS_SELF_CHECK=lose-one asked for, and whether a mail was deleted. */
    private boolean loseOne;
    private String lostOnPurpose;
    private SimulatedInternet net;
    private Path trust;

    DemoFaults(Path root, Path work, PrintStream out) {
        this.root = root;
        this.work = work;
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(".");
        Path work = Path.of("run/demo");
        Set<Integer> only = new LinkedHashSet<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--root": root = Path.of(args[++i]); break;
                case "--work": work = Path.of(args[++i]); break;
                case "--row":
                    for (String n : args[++i].split(",")) {
                        int id = Integer.parseInt(n.trim());
                        if (id < 1 || id > 6) {
                            throw new IllegalArgumentException("--row takes 1..6, not " + n);
                        }
                        only.add(id);
                    }
                    break;
                default: throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        DemoFaults faults = new DemoFaults(root.toAbsolutePath().normalize(), work.toAbsolutePath().normalize(), System.out);
        faults.only.addAll(only);
        String selfCheck = System.getenv().getOrDefault("DEMO_FAULTS_SELF_CHECK", "");
        if (!selfCheck.isEmpty() && !LOSE_ONE.equals(selfCheck)) {
            throw new IllegalArgumentException("DEMO_FAULTS_SELF_CHECK takes " + LOSE_ONE + " (or nothing), not " + selfCheck);
        }
        faults.loseOne = LOSE_ONE.equals(selfCheck);
        int rc = faults.run();
        System.exit(rc);
    }

    /** One fault and its counts. */
    static final class Row {
        final int id;
        final String fault;
        final List<String> recipients = new ArrayList<>();
        int delivered;
        int delayed;
        int bounced;
        /**
         * Mails neither delivered nor bounced, proved to be in the outgoing queue when the row ended
         * ({@link #settle}); the rest of the undelivered ones count as lost.
         */
        int pending;
        int unprotected;
        int errors;
        /** The row's own check beyond lost/unprotected; null when it has none. */
        Boolean check;
        String note = "";
        /** Why the outgoing queue did not confirm the pending count when the row ended; null when it did. */
        String unconfirmed;
        String skipped;
        boolean ran;

        Row(int id, String fault) {
            this.id = id;
            this.fault = fault;
        }

        String prefix() {
            return "f" + id + "-";
        }

        int lost() {
            return recipients.size() - delivered - bounced - pending;
        }

        /** Neither delivered nor bounced (yet): the mails the outgoing queue must hold. */
        int undelivered() {
            return recipients.size() - delivered - bounced;
        }

        boolean meetsGoal() {
            return skipped == null && ran && lost() == 0 && unprotected == 0 && unconfirmed == null
                    && (check == null || check);
        }
    }

    int run() throws Exception {
        Files.createDirectories(work);
        Row storeMidRun = row(1, "store stopped mid-run, then started");
        Row hostile = row(2, "hostile TXT record and policy (CR/LF/ESC/NUL)");
        Row tarpit = row(3, TARPIT_DOMAINS + " new domains, policy host a tarpit");
        Row restart = row(4, "James restarted, policy host down");
        Row storeAtStart = row(5, "store down at James start");
        Row nodeKilled = row(6, "1 of 3 Cassandra nodes killed");
        out.println("=== bin/demo --faults: the fault benchmark (issue 9) on the demo's simulated internet ===");
        for (Row r : rows) {
            if (!selected(r.id)) {
                r.skipped = "not run (--row " + only.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(",")) + ")";
            }
        }
        try (SimulatedInternet internet = SimulatedInternet.start(SimulatedInternet.Ports.wellKnown())) {
            net = internet;
            publish();
            trust = net.writeTrustStore(work.resolve("demo-ca.p12"));
            Path overlay = overlay("conf-overlay-faults");
            // Rows 1-3 share the first James; row 4 restarts it (its warm-up stored stay.example's policy).
            if (selected(1) || selected(2) || selected(3) || selected(4)) {
                DemoJames james = new DemoJames(root, work.resolve("james-faults-1"));
                step("starting James (MtaStsRemoteDelivery, 20 delivery threads)");
                onJames.clear();
                james.start(overlay);
                try {
                    warmUp();
                    // Each row is settled before the next starts: its pending mails are proved while they
                    // are the only undelivered ones besides the earlier rows' (already proved), and the
                    // next row shows that the queue still delivers after it was read.
                    if (selected(1)) {
                        settled(james, storeMidRun, () -> storeMidRun(storeMidRun));
                    }
                    if (selected(2)) {
                        settled(james, hostile, () -> hostile(hostile, james));
                    }
                    if (selected(3)) {
                        settled(james, tarpit, () -> tarpit(tarpit));
                    }
                } finally {
                    step("stopping James");
                    james.stop();
                }
            }
            if (selected(4)) {
                restart(restart, new DemoJames(root, work.resolve("james-faults-4")), overlay);
            }
            if (selected(5)) {
                storeAtStart(storeAtStart, overlay);
            }
            if (selected(6)) {
                nodeKilled(nodeKilled);
            }
        }
        return report();
    }

    /** A row's body; it may throw. */
    private interface RowBody {
        void run() throws Exception;
    }

    /** Runs {@code body}, then settles {@code r} on {@code james} (also when the body failed). */
    private void settled(DemoJames james, Row r, RowBody body) throws Exception {
        try {
            body.run();
        } finally {
            settle(james, List.of(r), 60);
        }
    }

    private boolean selected(int id) {
        return only.isEmpty() || only.contains(id);
    }

    private Row row(int id, String fault) {
        Row r = new Row(id, fault);
        rows.add(r);
        return r;
    }

    private Path overlay(String name) throws IOException {
        Path overlay = work.resolve(name);
        new DemoJames(root, work.resolve("james-faults-1")).writeOverlay(overlay, DemoJames.MTA_STS_MAILET, "", trust,
                "mta_sts_faults", 20, Map.of());
        return overlay;
    }

    // ------------------------------------------------------------------ the simulated internet

    private static String policy(String mode, String... mx) {
        return Demo.policy(mode, mx);
    }

    private void publish() throws IOException {
        List<String> knownMx = new ArrayList<>();
        for (int i = 1; i <= KNOWN; i++) {
            String d = String.format(Locale.ROOT, "k%02d.example", i);
            enforceDomain(d, Demo.POLICY_HOST_ADDRESS, knownMx);
            known.add(d);
        }
        net.sharedReceiver(KNOWN_RECEIVER, knownMx);
        List<String> freshMx = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            String d = String.format(Locale.ROOT, "n%02d.example", i);
            enforceDomain(d, Demo.POLICY_HOST_ADDRESS, freshMx);
            fresh.add(d);
        }
        net.sharedReceiver(NEW_RECEIVER, freshMx);
        // The restart row's domain: its policy host lives alone, so it can go down by itself.
        List<String> stayMx = new ArrayList<>();
        enforceDomain("stay.example", STAY_POLICY_HOST, stayMx);
        net.sharedReceiver(STAY_RECEIVER, stayMx);
        net.receiver(Demo.IMPOSTOR, IMPOSTOR_ADDRESS, Tls.OWN_NAME);
        // Hostile data: a TXT record and a policy carrying CR, LF, ESC and NUL, each trying to start a
        // line of James's log with FORGED (issue 9: a TXT record once did exactly that).
        String bad = "\r\n" + FORGED + " txt \u001b[31mred\u001b[0m nul\u0000 end";
        net.publishRecord("hostile-txt.example", "v=STSv1; id=1" + bad + ";",
                policy("enforce", "mx.hostile-txt.example"), HOSTILE_POLICY_HOST);
        net.publishRecord("hostile-policy.example", "v=STSv1; id=hostile1;",
                "version: STSv1\nmode: enforce\nmx: mx.hostile-policy.example\nmax_age: 86400\n"
                        + "x-note: a\r" + FORGED + " policy \u001b[2J nul\u0000 end\n"
                        + "mx: \u001b]0;title\u0007\r\n" + FORGED + " mx line\n", HOSTILE_POLICY_HOST);
        for (String d : List.of("hostile-txt.example", "hostile-policy.example")) {
            net.mx(d, "mx." + d);
            enforce.put(d, Set.of("mx." + d));
        }
        net.sharedReceiver(HOSTILE_RECEIVER, List.of("mx.hostile-txt.example", "mx.hostile-policy.example"));
        // Tarpits: half the policy hosts say nothing, half trickle a byte a second.
        net.tarpit(SILENT_TARPIT, false);
        net.tarpit(TRICKLE_TARPIT, true);
        List<String> tarpitMx = new ArrayList<>();
        for (int i = 1; i <= TARPIT_DOMAINS; i++) {
            String d = String.format(Locale.ROOT, "t%03d.example", i);
            net.publishTarpitted(d, "t1", i % 2 == 0 ? TRICKLE_TARPIT : SILENT_TARPIT);
            net.mx(d, "mx." + d);
            tarpitMx.add("mx." + d);
            tarpitted.add(d);
        }
        net.sharedReceiver(TARPIT_RECEIVER, tarpitMx);
        step("published " + KNOWN + " known + 20 new enforce domains, stay.example, 2 hostile domains, "
                + TARPIT_DOMAINS + " tarpitted domains (policy hosts " + SILENT_TARPIT + " silent, " + TRICKLE_TARPIT
                + " 1 byte/s)");
    }

    private void enforceDomain(String d, String policyHost, List<String> mxNames) throws IOException {
        String mx = "mx." + d;
        net.publish(d, "p1", policy("enforce", mx), policyHost);
        net.mx(d, mx);
        mxNames.add(mx);
        enforce.put(d, Set.of(mx));
    }

    // ------------------------------------------------------------------ rows

    /** Every known domain and stay.example get one mail: their policies are fetched and stored. */
    private void warmUp() throws IOException {
        Row warm = new Row(0, "warm-up");
        List<String> domains = new ArrayList<>(known);
        domains.add("stay.example");
        inject(warm, domains, domains.size());
        boolean ok = await(90, () -> deliveredCount(warm) == warm.recipients.size());
        step("warm-up: " + deliveredCount(warm) + "/" + warm.recipients.size() + " delivered"
                + (ok ? "" : " (time-out after 90 s)"));
    }

    private void storeMidRun(Row r) throws Exception {
        step("row 1: bin/cassandra stop");
        int rc = cassandra("stop");
        long stopped = System.nanoTime();
        inject(r, known, 2 * KNOWN);
        inject(r, fresh.subList(0, 10), 10);
        step("row 1: " + r.recipients.size() + " mails injected (40 to known domains, 10 to new ones) while the store is down");
        await(20, () -> false);
        int before = deliveredCount(r);
        step("row 1: after 20 s " + before + " delivered; bin/cassandra start");
        int rc2 = cassandra("start");
        double outage = (System.nanoTime() - stopped) / 1e9;
        boolean all = await(90, () -> deliveredCount(r) == r.recipients.size());
        r.ran = true;
        r.note = String.format(Locale.ROOT, "store down %.0f s (stop rc %d, start rc %d); %d delivered during the outage%s",
                outage, rc, rc2, before, all ? "" : "; not all delivered 90 s after the restart");
    }

    private void hostile(Row r, DemoJames james) throws IOException {
        step("row 2: 5 mails to each hostile domain");
        inject(r, List.of("hostile-txt.example", "hostile-policy.example"), 10);
        await(40, () -> deliveredCount(r) == r.recipients.size());
        // A line the domain wrote: one that begins with its forged time stamp or holds its tag (after a
        // CR or LF it smuggled in; a parser may cut the text at the first space), or any raw ESC/NUL
        // byte (a terminal would obey it).
        byte[] log = Files.readAllBytes(james.log());
        String text = new String(log, StandardCharsets.ISO_8859_1);
        int forged = 0;
        for (String line : text.split("[\r\n]")) {
            if (line.startsWith(FORGED_STAMP) || line.contains("[FORGED]")) {
                forged++;
            }
        }
        int mentions = 0;
        String sample = null;
        for (String line : text.split("\n")) {
            if (line.contains("hostile-txt.example") || line.contains("hostile-policy.example")) {
                mentions++;
                if (sample == null || (line.contains("MTA-STS") && !sample.contains("MTA-STS"))) {
                    sample = line;
                }
            }
        }
        if (sample != null) {
            step("row 2: a log line about a hostile domain (control characters shown as \\xNN by this report): "
                    + escape(sample.length() > 400 ? sample.substring(0, 400) + "..." : sample));
        }
        int controls = 0;
        for (byte b : log) {
            if (b == 0x1b || b == 0) {
                controls++;
            }
        }
        r.ran = true;
        r.check = forged == 0 && controls == 0;
        r.note = "james.log: " + mentions + " line(s) about the hostile domains, " + forged + " line(s) the domains"
                + " wrote (beginning \"" + FORGED_STAMP + "\" or holding \"[FORGED]\"), " + controls + " raw ESC/NUL byte(s)";
    }

    private void tarpit(Row r) throws IOException {
        Row base = new Row(30, "baseline");
        step("row 3: baseline, " + 10 * KNOWN + " mails to the " + KNOWN + " known domains, no tarpit");
        double baseline = throughput(base, 90);
        step(String.format(Locale.ROOT, "row 3: baseline %.1f mails/s; now 1 mail to each of %d tarpitted domains,"
                + " then %d to the known domains", baseline, TARPIT_DOMAINS, 10 * KNOWN));
        step("row 3: tarpitted mails: " + inject(r, tarpitted, TARPIT_DOMAINS));
        // The known mail is row 3's too (its recipients carry the row's prefix); measured on its own.
        int first = r.recipients.size();
        double during = throughput(r, 90);
        List<String> knownRecipients = r.recipients.subList(first, r.recipients.size());
        double ratio = baseline > 0 ? during / baseline : Double.NaN;
        int held = net.tarpitConnections();
        r.ran = true;
        r.check = ratio >= 0.8;
        r.note = String.format(Locale.ROOT, "known mail %.1f mails/s vs %.1f without tarpit: %.2fx (goal >= 0.8);"
                + " %d/%d known delivered within 90 s; %d policy fetches held by the tarpits then", during, baseline,
                ratio, deliveredOf(knownRecipients), knownRecipients.size(), held);
    }

    /** Injects 10 mails per known domain and returns delivered mails per second (bounded by {@code seconds}). */
    private double throughput(Row r, int seconds) throws IOException {
        long begin = System.nanoTime();
        int first = r.recipients.size();
        String injection = inject(r, known, 10 * KNOWN);
        Set<String> mine = new HashSet<>(r.recipients.subList(first, r.recipients.size()));
        await(seconds, () -> deliveredOf(mine) == mine.size());
        long last = begin;
        int n = 0;
        List<Long> latencies = new ArrayList<>();
        for (TestSmtpReceiver.Received m : messages(r)) {
            for (String a : m.recipients) {
                String x = address(a);
                if (mine.contains(x)) {
                    last = Math.max(last, m.atNanos);
                    latencies.add(m.atNanos - injectedAt.get(x));
                    n++;
                }
            }
        }
        java.util.Collections.sort(latencies);
        // James's own share: from the start of a mail's SMTP transaction to its arrival at the receiver.
        step(String.format(Locale.ROOT, "row 3: %s; %d delivered, the last %.2f s after the first injection; injection"
                + " to delivery per mail: median %.0f ms, p90 %.0f ms, max %.0f ms", injection, n, (last - begin) / 1e9,
                quantile(latencies, 0.5) / 1e6, quantile(latencies, 0.9) / 1e6, quantile(latencies, 1) / 1e6));
        return n == 0 ? 0 : n / ((last - begin) / 1e9);
    }

    private static double quantile(List<Long> sorted, double q) {
        return sorted.isEmpty() ? 0 : sorted.get((int) Math.min(sorted.size() - 1, Math.floor(q * sorted.size())));
    }

    /** How many of {@code recipients} any receiver got. */
    private int deliveredOf(java.util.Collection<String> recipients) {
        Set<String> got = new HashSet<>();
        for (TestSmtpReceiver rcv : receiverHosts().keySet()) {
            for (TestSmtpReceiver.Received m : rcv.messages()) {
                for (String x : m.recipients) {
                    got.add(address(x));
                }
            }
        }
        got.retainAll(new HashSet<>(recipients));
        return got.size();
    }

    private void restart(Row r, DemoJames james, Path overlay) throws Exception {
        step("row 4: policy host of stay.example (" + STAY_POLICY_HOST + ") down; restarting James");
        net.policyServerDown(STAY_POLICY_HOST);
        onJames.clear();
        james.start(overlay);
        try {
            TestSmtpReceiver impostor = net.receiver(Demo.IMPOSTOR);
            inject(r, List.of("stay.example"), 5);
            boolean good = await(60, () -> deliveredCount(r) == 5);
            step("row 4: " + deliveredCount(r) + "/5 delivered to the good MX; MX of stay.example -> " + Demo.IMPOSTOR);
            net.mx("stay.example", Demo.IMPOSTOR);
            inject(r, List.of("stay.example"), 5);
            await(30, () -> false);
            int toImpostor = 0;
            for (TestSmtpReceiver.Received m : impostor.messages()) {
                if (ofRow(m, r)) {
                    toImpostor++;
                }
            }
            r.ran = true;
            r.check = good && toImpostor == 0;
            r.note = (good ? "good MX got all 5" : "good MX got " + deliveredCount(r) + "/5") + "; impostor got "
                    + toImpostor + " (the 5 sent after the MX swap must stay queued)";
        } finally {
            settle(james, List.of(r), 60);
            james.stop();
            net.mx("stay.example", "mx.stay.example");
        }
    }

    private void storeAtStart(Row r, Path overlay) throws Exception {
        step("row 5: bin/cassandra stop, then start James (bounded: " + STORE_DOWN_START_SECONDS + " s for /healthcheck)");
        cassandra("stop");
        // bin/james-mta-sts starts the project's node itself when mta-sts.properties names a stopped
        // Cassandra on 127.x; an administrator's store lives on another host, so this row names the
        // node by a DNS name (the simulated DNS answers 127.0.0.1) and the store stays down.
        net.dns().clear(STORE_NAME).a(STORE_NAME, "127.0.0.1");
        overlay = work.resolve("conf-overlay-faults-store-by-name");
        new DemoJames(root, work.resolve("james-faults-5")).writeOverlay(overlay, DemoJames.MTA_STS_MAILET, "", trust,
                "mta_sts_faults", 20, Map.of("cassandra.contactPoints", STORE_NAME + ":9042"));
        DemoJames james = new DemoJames(root, work.resolve("james-faults-5"));
        boolean started;
        onJames.clear();
        long begin = System.nanoTime();
        try {
            // 240 s: on the loaded 2-core machine James once needed more than 90 s to start, store up or down.
            james.start(overlay, Map.of("JAMES_READY_TIMEOUT", Integer.toString(STORE_DOWN_START_SECONDS)));
            started = true;
        } catch (IOException e) {
            started = false;
        }
        double startSeconds = (System.nanoTime() - begin) / 1e9;
        r.ran = true;
        if (!started) {
            r.check = false;
            r.note = "James did not start with the store down (bin/james-mta-sts start failed within "
                    + STORE_DOWN_START_SECONDS + " s): no mail can be sent, inbound included";
            james.stop();
            step("row 5: James did not start; bin/cassandra start");
            cassandra("start");
            return;
        }
        try {
            inject(r, known.subList(0, 10), 10);
            inject(r, fresh.subList(10, 20), 10);
            await(20, () -> false);
            int during = deliveredCount(r);
            step("row 5: James started; " + during + "/20 delivered with the store down; bin/cassandra start");
            cassandra("start");
            boolean all = await(90, () -> deliveredCount(r) == r.recipients.size());
            r.check = true;
            r.note = String.format(Locale.ROOT, "James started without the store (ready after %.0f s, bound %d s); %d/20"
                    + " delivered during the outage%s", startSeconds, STORE_DOWN_START_SECONDS, during,
                    all ? "" : "; not all delivered 90 s after the store came back");
        } finally {
            settle(james, List.of(r), 60);
            james.stop();
        }
    }

    /**
     * Row 6: a 3-node cluster ({@code bin/cassandra cluster start}, nodes on 127.0.0.31-33, CQL 9042 each),
     * a James whose mta-sts.properties names all three with replication factor 3 and local_quorum reads and
     * writes (2 of 3: one node may be down and every read still overlaps the last write), a warm-up, then
     * node 1 (the first contact point, so most likely the driver's control connection) is killed with
     * SIGKILL while mails to known and new domains are being delivered, and more follow. Check: every
     * attempt found its policy (no "lookup-error" attempt in james.log, no get answered ERROR, no store
     * error or store-outage lookup in the cache counters, the store never reported unavailable by
     * /mta-sts/health) and all delivered.
     */
    private void nodeKilled(Row r) throws Exception {
        // The single node is not used by this row's James; stopping it leaves the 2 cores and the
        // memory to the cluster.
        step("row 6: bin/cassandra stop (the single node); bin/cassandra cluster start (3 nodes, "
                + CLUSTER_FIRST + "1.." + CLUSTER_FIRST + "3, replication 3, local_quorum)");
        cassandra("stop");
        Path dir = work.resolve("cassandra-cluster");
        Files.createDirectories(dir);
        // The class path bin/demo resolved for the single node (no Maven inside the namespace).
        Path cp = work.resolve("cassandra/classpath-5.0.9.txt");
        if (Files.exists(cp)) {
            Files.copy(cp, dir.resolve(cp.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("MTA_STS_CASSANDRA_DIR", dir.toString());
        env.put("MTA_STS_CASSANDRA_ADDRESS", CLUSTER_FIRST + "1");
        env.put("MTA_STS_CASSANDRA_NODES", "3");
        env.put("MTA_STS_CASSANDRA_JMX_PORT", "7299");
        env.put("MTA_STS_CASSANDRA_CLUSTER", "mta-sts-faults");
        // per node; on 2 shared cores a node has been seen to need 90 s
        env.put("MTA_STS_CASSANDRA_READY_TIMEOUT", "240");
        long t = System.nanoTime();
        int rc = cassandra(env, "cluster", "start");
        r.ran = true;
        if (rc != 0) {
            r.check = false;
            r.note = "bin/cassandra cluster start failed (exit " + rc + "): no mail sent";
            cassandra(env, "cluster", "stop");
            return;
        }
        step(String.format(Locale.ROOT, "row 6: cluster up after %.0f s", (System.nanoTime() - t) / 1e9));
        Path overlay = work.resolve("conf-overlay-faults-cluster");
        Map<String, String> props = new LinkedHashMap<>();
        props.put("cassandra.contactPoints", CLUSTER_FIRST + "1:9042," + CLUSTER_FIRST + "2:9042," + CLUSTER_FIRST + "3:9042");
        props.put("cassandra.keyspace", "mta_sts_faults6");
        props.put("cassandra.replicationFactor", "3");
        props.put("cassandra.readConsistency", "local_quorum");
        props.put("cassandra.writeConsistency", "local_quorum");
        DemoJames james = new DemoJames(root, work.resolve("james-faults-6"));
        james.writeOverlay(overlay, DemoJames.MTA_STS_MAILET, "", trust, "mta_sts_faults6", 20, props);
        try {
            onJames.clear();
            james.start(overlay);
            Row warm = new Row(60, "warm-up");
            inject(warm, known, KNOWN);
            boolean warmed = await(90, () -> deliveredCount(warm) == warm.recipients.size());
            step("row 6: warm-up " + deliveredCount(warm) + "/" + KNOWN + " delivered" + (warmed ? "" : " (90 s bound)"));
            Map<String, Long> before = counters(james);
            int errorsBefore = lookupErrorLines(james, false);
            int boundBefore = lookupErrorLines(james, true);
            // In flight when the node dies: 60 mails to the known domains, 10 to new ones (a lookup, a
            // store write at local_quorum each).
            inject(r, known, 60);
            inject(r, fresh.subList(0, 10), 10);
            int flight = deliveredCount(r);
            step("row 6: 70 mails injected (" + flight + " delivered so far); bin/cassandra cluster kill 1");
            int killed = cassandra(env, "cluster", "kill", "1");
            // After it: 60 more to the known domains, 10 to other new domains.
            inject(r, known, 60);
            inject(r, fresh.subList(10, 20), 10);
            int[] unhealthy = {0, 0};
            boolean all = await(90, () -> {
                unhealthy[1]++;
                if (!storeHealthy(james)) {
                    unhealthy[0]++;
                }
                return deliveredCount(r) == r.recipients.size();
            });
            Map<String, Long> after = counters(james);
            int lookupErrors = lookupErrorLines(james, false) - errorsBefore;
            int bound = lookupErrorLines(james, true) - boundBefore;
            StringBuilder failed = new StringBuilder();
            long failures = 0;
            for (String key : List.of("mtasts.cache.get.error", "mtasts.cache.store.errors",
                    "mtasts.cache.store.outageLookups", "mtasts.cache.revalidate.failed")) {
                long d = after.getOrDefault(key, 0L) - before.getOrDefault(key, 0L);
                failures += d;
                failed.append(failed.length() == 0 ? "" : ", ").append(key).append(" +").append(d);
            }
            boolean countersRead = !after.isEmpty();
            r.check = killed == 0 && all && lookupErrors == 0 && failures == 0 && unhealthy[0] == 0 && countersRead;
            r.note = String.format(Locale.ROOT, "node 1 of 3 killed (rc %d) with %d of the first 70 mails delivered;"
                    + " %d/%d delivered within 90 s; %d attempt(s) deferred by a failed lookup in james.log (%d more"
                    + " deferred by this node's cache.maxConcurrentLookups: 20 new domains in two bursts of 10); counters:"
                    + " %s; store reported unhealthy by /mta-sts/health in %d of %d polls", killed, flight,
                    deliveredCount(r), r.recipients.size(), lookupErrors, bound, countersRead ? failed : "not readable",
                    unhealthy[0], unhealthy[1]);
        } finally {
            settle(james, List.of(r), 60);
            james.stop();
            step("row 6: bin/cassandra cluster stop");
            cassandra(env, "cluster", "stop");
        }
    }

    /** GET /mta-sts/counters as a map (empty when WebAdmin does not answer). */
    private static Map<String, Long> counters(DemoJames james) {
        Map<String, Long> out = new LinkedHashMap<>();
        String body = james.webAdmin("/mta-sts/counters");
        if (body != null) {
            Matcher m = Pattern.compile("\"([^\"]+)\"\\s*:\\s*(-?\\d+)").matcher(body);
            while (m.find()) {
                out.put(m.group(1), Long.parseLong(m.group(2)));
            }
        }
        return out;
    }

    /** True when GET /mta-sts/health answers 200 (the store is readable). */
    private static boolean storeHealthy(DemoJames james) {
        return james.webAdmin("/mta-sts/health") != null;
    }

    /**
     * Attempts that the extension logged as deferred because the policy lookup failed ({@code local}
     * false), or because this node's own bound deferred it without a lookup ({@code local} true:
     * cache.maxConcurrentLookups or the flight time-out; the reason says "a local bound").
     */
    private static int lookupErrorLines(DemoJames james, boolean local) {
        int n = 0;
        for (String line : james.logLines("MTA-STS lookup-error", Integer.MAX_VALUE)) {
            if (line.contains("(a local bound") == local) {
                n++;
            }
        }
        return n;
    }

    // ------------------------------------------------------------------ counting

    /**
     * The end of a row, its James still running. Every mail injected into this James that is neither
     * delivered nor bounced must be in James's outgoing queue (waiting for its next attempt, or being
     * attempted), so the queue's size must equal the number of such mails over every row on this James
     * ({@link #onJames}: warm-ups and row 3's baseline included). The size is read through WebAdmin
     * {@code GET /mailQueues/outgoing}, which leaves the memory queue running (listing its mails, as this
     * benchmark once did, stops James 3.8.1's memory queue for good and drops what it had taken:
     * docs/demo.md). Polls until the size equals that number at two polls in a row (each poll reads the
     * receivers and the bounce repository before and after the size, and counts only when both agree),
     * or {@code seconds} pass.
     *
     * <p>Confirmed: each row's pending is its undelivered mails, lost 0. Not confirmed: the queue is k
     * mails short, and a size does not say whose: every row's pending is its undelivered mails less k (a
     * lost mail is counted in each row it may belong to, never hidden as pending), and the rows in
     * {@code which} do not meet the goal, their note giving both numbers. A queue holding more than the
     * undelivered mails (a mail queued twice) is not confirmed either.
     */
    private void settle(DemoJames james, List<Row> which, int seconds) {
        if (loseOne && lostOnPurpose == null) {
            loseOne(james, which);
        }
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        int agreed = 0;
        long size = -1;
        int undelivered = 0;
        while (true) {
            int before = countOnJames(james);
            size = james.queueSize();
            undelivered = countOnJames(james);
            agreed = size >= 0 && before == undelivered && size == undelivered ? agreed + 1 : 0;
            if (agreed >= 2 || System.nanoTime() > deadline) {
                break;
            }
            await(2, () -> false);
        }
        boolean confirmed = agreed >= 2;
        long shortfall = confirmed ? 0 : size < 0 ? undelivered : Math.max(0, undelivered - size);
        for (Row r : onJames) {
            r.pending = (int) Math.max(0, r.undelivered() - shortfall);
        }
        if (!confirmed) {
            String why = size < 0 ? "WebAdmin did not answer GET /mailQueues/outgoing"
                    : String.format(Locale.ROOT, "the outgoing queue held %d mail(s) where %d were neither delivered"
                    + " nor bounced (every row on this James, warm-ups included)", size, undelivered);
            for (Row r : which) {
                r.unconfirmed = why + " after " + seconds + " s: pending not confirmed";
            }
        }
        step(String.format(Locale.ROOT, "row %s settled: outgoing queue %d, undelivered %d (%s)",
                which.stream().map(r -> Integer.toString(r.id)).collect(java.util.stream.Collectors.joining(",")),
                size, undelivered, confirmed ? "confirmed at two polls in a row" : "NOT confirmed"));
        int held = net.tarpitConnections();
        if (held > 0) {
            for (Row r : which) {
                if (r.id == 3) {
                    r.note += "; when the row ended " + held + " policy fetches were still held by the tarpits (lookups"
                            + " that go on in the background up to fetch.timeout after their attempts gave up at the"
                            + " flight time-out)";
                }
            }
        }
    }

    /**
     * Counts every row on this James (delivered, delayed, unprotected, bounced, errors) and returns how
     * many of their mails are neither delivered nor bounced.
     */
    private int countOnJames(DemoJames james) {
        List<String> bounced = repositoryRecipients(james, BOUNCES);
        List<String> errors = repositoryRecipients(james, ERRORS);
        int undelivered = 0;
        for (Row r : onJames) {
            count(r);
            Set<String> mine = new HashSet<>(r.recipients);
            Set<String> done = deliveredRecipients(r);
            r.bounced = (int) bounced.stream().filter(mine::contains).filter(x -> !done.contains(x)).distinct().count();
            r.errors = (int) errors.stream().filter(mine::contains).distinct().count();
            undelivered += r.undelivered();
        }
        return undelivered;
    }

    /**
     * DEMO_FAULTS_SELF_CHECK=lose-one: proof that the accounting sees a loss. Deletes one mail of the
     * first row in {@code which} that still has one in the queue (WebAdmin
     * {@code DELETE /mailQueues/outgoing/mails?recipient=...}: gone, neither delivered nor bounced), so
     * that row must show lost=1 and NOT MET. A mail being attempted at that moment is not deleted by
     * James; the deletion is retried (another mail, 2 s later) until the task reports one fewer.
     */
    private void loseOne(DemoJames james, List<Row> which) {
        countOnJames(james);
        for (Row r : which) {
            Set<String> done = deliveredRecipients(r);
            List<String> candidates = new ArrayList<>();
            for (String x : r.recipients) {
                if (!done.contains(x)) {
                    candidates.add(x);
                }
            }
            for (int i = 0; i < 10 && !candidates.isEmpty(); i++) {
                String victim = candidates.get(i % candidates.size());
                String task = james.deleteQueued(victim);
                Matcher initial = Pattern.compile("\"initialCount\"\\s*:\\s*(\\d+)").matcher(task == null ? "" : task);
                Matcher remaining = Pattern.compile("\"remainingCount\"\\s*:\\s*(\\d+)").matcher(task == null ? "" : task);
                if (initial.find() && remaining.find()
                        && Long.parseLong(initial.group(1)) > Long.parseLong(remaining.group(1))) {
                    lostOnPurpose = victim;
                    step("self-check " + LOSE_ONE + ": deleted " + victim + " from the outgoing queue (WebAdmin DELETE"
                            + " /mailQueues/outgoing/mails?recipient=...); row " + r.id + " must show lost=1, NOT MET");
                    r.note += "; self-check " + LOSE_ONE + ": " + victim + " deleted from the outgoing queue";
                    return;
                }
                await(2, () -> false);
            }
        }
    }

    private void count(Row r) {
        Set<String> seen = new HashSet<>();
        r.delivered = 0;
        r.delayed = 0;
        r.unprotected = 0;
        Map<TestSmtpReceiver, Set<String>> hosts = receiverHosts();
        for (Map.Entry<TestSmtpReceiver, Set<String>> e : hosts.entrySet()) {
            for (TestSmtpReceiver.Received m : e.getKey().messages()) {
                for (String rcpt : m.recipients) {
                    String a = address(rcpt);
                    if (!a.startsWith(r.prefix()) || !r.recipients.contains(a)) {
                        continue;
                    }
                    if (seen.add(a)) {
                        r.delivered++;
                        Long at = injectedAt.get(a);
                        if (at != null && m.atNanos - at > DELAY_NANOS) {
                            r.delayed++;
                        }
                    }
                    Set<String> allowed = enforce.get(domainOf(a));
                    // RFC 8461 §4.1/§4.2: an enforce domain's mail goes only over TLS to a host its
                    // policy lists, and that host must be the one the receiver is.
                    if (allowed != null && !(m.overTls() && m.sni != null && allowed.contains(m.sni)
                            && e.getValue().contains(m.sni))) {
                        r.unprotected++;
                    }
                }
            }
        }
    }

    private Map<TestSmtpReceiver, Set<String>> receiverHosts() {
        Map<TestSmtpReceiver, Set<String>> hosts = new IdentityHashMap<>();
        net.receivers().forEach((host, rcv) -> hosts.computeIfAbsent(rcv, k -> new LinkedHashSet<>()).add(host));
        return hosts;
    }

    private Set<String> deliveredRecipients(Row r) {
        Set<String> out = new HashSet<>();
        for (TestSmtpReceiver.Received m : messages(r)) {
            for (String rcpt : m.recipients) {
                out.add(address(rcpt));
            }
        }
        return out;
    }

    private int deliveredCount(Row r) {
        Set<String> mine = new HashSet<>(r.recipients);
        Set<String> got = deliveredRecipients(r);
        got.retainAll(mine);
        return got.size();
    }

    /** Messages of row {@code r} at any receiver. */
    private List<TestSmtpReceiver.Received> messages(Row r) {
        List<TestSmtpReceiver.Received> out = new ArrayList<>();
        for (TestSmtpReceiver rcv : receiverHosts().keySet()) {
            for (TestSmtpReceiver.Received m : rcv.messages()) {
                if (ofRow(m, r)) {
                    out.add(m);
                }
            }
        }
        return out;
    }

    private static boolean ofRow(TestSmtpReceiver.Received m, Row r) {
        return m.recipients.stream().anyMatch(x -> address(x).startsWith(r.prefix()));
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static String address(String rcpt) {
        return rcpt.replace("<", "").replace(">", "").trim().toLowerCase(Locale.ROOT);
    }

    private static String domainOf(String address) {
        return address.substring(address.indexOf('@') + 1);
    }

    /** The recipients of the mails in a James mail repository (WebAdmin /mailRepositories). */
    private static List<String> repositoryRecipients(DemoJames james, String repository) {
        List<String> out = new ArrayList<>();
        String path = "/mailRepositories/" + URLEncoder.encode(repository, StandardCharsets.UTF_8) + "/mails";
        String keys = james.webAdmin(path + "?limit=10000");
        if (keys == null) {
            return out;
        }
        Matcher k = Pattern.compile("\"([^\"]+)\"").matcher(keys);
        while (k.find()) {
            String mail = james.webAdmin(path + "/" + URLEncoder.encode(k.group(1), StandardCharsets.UTF_8));
            if (mail == null) {
                continue;
            }
            Matcher m = Pattern.compile("\"recipients\"\\s*:\\s*\\[([^\\]]*)\\]").matcher(mail);
            if (m.find()) {
                for (String rcpt : m.group(1).split(",")) {
                    String t = address(rcpt.replace("\"", ""));
                    if (!t.isEmpty()) {
                        out.add(t);
                    }
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ plumbing

    /** Sends {@code count} mails round-robin over {@code domains}, recipients named after the row. */
    private String inject(Row r, List<String> domains, int count) throws IOException {
        if (onJames.stream().noneMatch(x -> x == r)) {
            onJames.add(r);
        }
        int base = r.recipients.size();
        long begin = System.nanoTime();
        long slowest = 0;
        try (DemoJames.Smtp smtp = new DemoJames.Smtp()) {
            for (int i = 0; i < count; i++) {
                String rcpt = r.prefix() + (base + i) + "@" + domains.get(i % domains.size());
                long at = System.nanoTime();
                injectedAt.put(rcpt, at);
                smtp.send(Demo.SENDER, rcpt, "[fault " + r.id + "] #" + (base + i));
                slowest = Math.max(slowest, System.nanoTime() - at);
                r.recipients.add(rcpt);
            }
        }
        long took = System.nanoTime() - begin;
        return String.format(Locale.ROOT, "%d mails injected in %.2f s (%.1f ms per mail, slowest %.1f ms)", count,
                took / 1e9, took / 1e6 / Math.max(1, count), slowest / 1e6);
    }

    /** Runs bin/cassandra with {@code verb} (the node bin/demo started, MTA_STS_CASSANDRA_DIR); its exit status. */
    private int cassandra(String verb) throws IOException, InterruptedException {
        return cassandra(Map.of(), verb);
    }

    /** Runs bin/cassandra with {@code args} and more environment ({@code env}); its exit status. */
    private int cassandra(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(root.resolve("bin/cassandra").toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("MTA_STS_CASSANDRA_READY_TIMEOUT", "150");
        pb.environment().putAll(env);
        Process p = pb.start();
        // a cluster starts its nodes one after the other
        if (!p.waitFor(args.length > 1 && "start".equals(args[1]) ? 900 : 180, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    private static boolean await(int seconds, BooleanSupplier condition) {
        return Demo.await(seconds, condition);
    }

    private void step(String text) {
        out.printf(Locale.ROOT, "[%5.1fs] %s%n", (System.nanoTime() - t0) / 1e9, text);
        out.flush();
    }

    private int report() {
        out.println();
        out.println("=== Fault benchmark (goal per row: 0 lost, 0 unprotected, and the row's check) ===");
        String fmt = "%-2s %-46s %5s %9s %7s %7s %7s %4s %11s  %s%n";
        out.printf(Locale.ROOT, fmt, "#", "fault", "sent", "delivered", "delayed", "bounced", "pending", "lost",
                "unprotected", "goal");
        int failed = 0;
        for (Row r : rows) {
            if (r.skipped != null) {
                out.printf(Locale.ROOT, "%-2d %-46s %s%n", r.id, r.fault, r.skipped);
                continue;
            }
            out.printf(Locale.ROOT, fmt, r.id, r.fault, r.recipients.size(), r.delivered, r.delayed, r.bounced,
                    r.pending, r.lost(), r.unprotected, r.meetsGoal() ? "MET" : "NOT MET");
            if (!r.meetsGoal()) {
                failed++;
            }
        }
        out.println();
        for (Row r : rows) {
            if (r.skipped == null) {
                out.println(r.id + ") " + r.note + (r.errors > 0 ? "; " + r.errors + " in James's error repository" : "")
                        + (r.unconfirmed != null ? "; " + r.unconfirmed : ""));
            }
        }
        out.printf(Locale.ROOT, "delayed: delivered more than %d s after injection; pending: in the outgoing queue"
                + " when the row ended (its size equal to the mails neither delivered nor bounced); lost = sent -"
                + " delivered - bounced - pending%n", DELAY_NANOS / 1_000_000_000L);
        out.printf(Locale.ROOT, "%d of %d rows that ran met the goal (%.0f s)%n",
                rows.stream().filter(x -> x.skipped == null).count() - failed,
                rows.stream().filter(x -> x.skipped == null).count(), (System.nanoTime() - t0) / 1e9);
        if (loseOne) {
            out.println(lostOnPurpose != null ? "self-check " + LOSE_ONE + ": " + lostOnPurpose + " was deleted from the"
                    + " outgoing queue on purpose; the row it belongs to must read lost=1, NOT MET"
                    : "self-check " + LOSE_ONE + ": NOT performed (no row that ran ended with a mail in the outgoing"
                    + " queue; rows 3 and 4 do: --row 4)");
        }
        out.flush();
        if (loseOne && lostOnPurpose == null) {
            return 2;
        }
        return failed == 0 ? 0 : 1;
    }
}
