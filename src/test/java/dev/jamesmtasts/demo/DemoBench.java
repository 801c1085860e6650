package dev.jamesmtasts.demo;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.jamesmtasts.james.DaneService;
import dev.jamesmtasts.james.DeliveryAttemptReport.DaneVerdict;
import dev.jamesmtasts.james.MtaStsMetrics;
import dev.jamesmtasts.testing.TestCa;
import dev.jamesmtasts.testing.TestSmtpReceiver;

/**
 * {@code bin/demo --bench}: the end-to-end benchmark on the demo's set-up. N mails (default 2,000) to
 * 50 domains, all over STARTTLS to one receiving host that serves every domain's MX name, sent
 * into James over SMTP and delivered by (a) James's stock RemoteDelivery, then (b) the project's
 * mailet with all 50 domains publishing an {@code enforce} policy, and with {@code --tlsrpt} (c) the
 * same mailet with {@code tlsrpt.enabled=true} (every attempt's TLS-RPT results recorded, RFC 8460),
 * and with {@code --dane} (d) the same mailet with DANE following (RFC 7672): the simulated DNS is then
 * signed (the root and {@code example.}, under the demo's test root key, for every configuration alike)
 * and every MX host publishes the TLSA record 3 1 1 of the receiver's key, so that each delivery of (d)
 * is DANE-authenticated (RFC 7672 §2.2: DANE before MTA-STS for such a host); the bench reads gauge
 * {@code mtaSts.dane.active} and the counters {@code mtaSts.dane.<verdict>} to show it was, and marks a
 * run whose DANE was not active as not DANE's. James is restarted between runs with the other
 * configuration, everything else (extension installed, Cassandra, delivery threads, retry settings)
 * identical. Prints each run's throughput,
 * the CPU milliseconds per mail of James and of Cassandra (from /proc: a figure that holds still where
 * mails/s moves by ±20% on a shared machine), their ratios to stock, and the latency of the policy
 * check per delivery attempt as the mailet's timer reports it. Figures only: nothing is asserted.
 *
 * <p>Arguments: {@code --root REPO --work DIR [--mails N] [--domains D] [--threads T] [--tlsrpt]
 * [--dane] [--rounds R] [--jfr] [--mta-sts-first]}. {@code --rounds R} runs the whole sequence R times
 * (interleaved, so that a change in the machine's load hits every configuration alike; each round
 * starts one configuration later, so that none always runs first or last) and reports every run;
 * {@code --jfr} records each measured run (not the warm-up) with Java Flight Recorder
 * ({@code jcmd JFR.start settings=profile}) into {@code WORK/jfr/<configuration>-<round>.jfr}.
 */
public final class DemoBench {
    private static final String RECEIVER_ADDRESS = "127.0.0.100";
    private static final int INJECTORS = 4;

    /** What one run measures: the mailet and the extension's properties. */
    enum Config {
        STOCK("stock", DemoJames.STOCK_MAILET, Map.of(), false),
        MTA_STS("mta-sts", DemoJames.MTA_STS_MAILET, Map.of(), false),
        /** The mailet with TLS-RPT recording on (RFC 8460): the settings tlsrpt.enabled=true requires. */
        TLSRPT("mta-sts+tlsrpt", DemoJames.MTA_STS_MAILET, Map.of(
                "tlsrpt.enabled", "true",
                "tlsrpt.organizationName", "james-mta-sts demo",
                "tlsrpt.submitter", "demo.example",
                "tlsrpt.sender", "tlsrpt@demo.example"), false),
        /**
         * The mailet with DANE following (RFC 7672), validating from the demo's test root key
         * (dane.trustAnchors, added by {@link #measure}) through the simulated DNS, as scenarios j-l of
         * bin/demo do. Every MX host has a usable TLSA record in a signed zone, so every delivery is
         * DANE-authenticated: DANE takes precedence over MTA-STS for such a host (RFC 7672 §2.2).
         */
        DANE("mta-sts+dane", DemoJames.MTA_STS_MAILET, Map.of(), true);

        final String label;
        final String mailet;
        final Map<String, String> properties;
        /** Whether the run uses DANE (mailet parameter dane=follow with the test trust anchor). */
        final boolean dane;

        Config(String label, String mailet, Map<String, String> properties, boolean dane) {
            this.label = label;
            this.mailet = mailet;
            this.properties = properties;
            this.dane = dane;
        }
    }

    private final Path root;
    private final Path work;
    private final int mails;
    private final int domains;
    private final int threads;
    private final List<Config> order;
    private final int rounds;
    private final boolean jfr;
    /** Whether the simulated DNS is signed and every MX host publishes TLSA (--dane), for every configuration. */
    private final boolean dane;
    private final PrintStream out;
    private final long t0 = System.nanoTime();

    DemoBench(Path root, Path work, int mails, int domains, int threads, List<Config> order, int rounds, boolean jfr,
              boolean dane, PrintStream out) {
        this.root = root;
        this.work = work;
        this.mails = mails;
        this.domains = domains;
        this.threads = threads;
        this.order = List.copyOf(order);
        this.rounds = rounds;
        this.jfr = jfr;
        this.dane = dane;
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(".");
        Path work = Path.of("run/demo");
        int mails = 2000;
        int domains = 50;
        // Stock RemoteDelivery 3.8.1 ignores deliveryThreads: it delivers on a Reactor bounded-elastic
        // pool of 10 x cores threads (20 here: bin/james-mta-sts runs James with 2 processors). The
        // mailet honours deliveryThreads, so both get the same concurrency with 20.
        int threads = 20;
        boolean stockOnly = false;
        boolean mtaStsFirst = false;
        boolean tlsRpt = false;
        boolean jfr = false;
        boolean dane = false;
        int rounds = 1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--root": root = Path.of(args[++i]); break;
                case "--work": work = Path.of(args[++i]); break;
                case "--mails": mails = Integer.parseInt(args[++i]); break;
                case "--domains": domains = Integer.parseInt(args[++i]); break;
                case "--threads": threads = Integer.parseInt(args[++i]); break;
                case "--mailet": stockOnly = "stock".equals(args[++i]); break;
                case "--mta-sts-first": mtaStsFirst = true; break;
                case "--tlsrpt": tlsRpt = true; break;
                case "--rounds": rounds = Integer.parseInt(args[++i]); break;
                case "--jfr": jfr = true; break;
                case "--dane": dane = true; break;
                default: throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (rounds < 1) {
            throw new IllegalArgumentException("--rounds must be at least 1");
        }
        List<Config> order = new ArrayList<>();
        order.add(Config.STOCK);
        if (!stockOnly) {
            order.add(Config.MTA_STS);
            if (tlsRpt) {
                order.add(Config.TLSRPT);
            }
            if (dane) {
                order.add(Config.DANE);
            }
            if (mtaStsFirst) {
                java.util.Collections.reverse(order);
            }
        }
        new DemoBench(root.toAbsolutePath().normalize(), work.toAbsolutePath().normalize(), mails, domains, threads,
                order, rounds, jfr, dane, System.out).run();
        System.exit(0);
    }

    /** One measured run. */
    static final class Run {
        final Config config;
        final int round;
        double seconds;
        double perSecond;
        int delivered;
        int overTls;
        boolean complete;
        /** CPU seconds (user + system) used during the measured mails by James and by Cassandra. */
        double jamesCpu = Double.NaN;
        double cassandraCpu = Double.NaN;
        Timer policyCheck = new Timer();
        /** Timer mtaSts.daneCheck: the domain's DANE decision per attempt (the mailet's runs only). */
        Timer daneCheck = new Timer();
        /** Gauge mtaSts.dane.active at the end of the run: 1, 0, or NaN when absent (stock). */
        double daneActive = Double.NaN;
        /** Delivery attempts of the measured mails by DANE verdict (counters mtaSts.dane.*), the mailet's runs. */
        Map<DaneVerdict, Long> daneVerdicts = new EnumMap<>(DaneVerdict.class);

        long dane(DaneVerdict v) {
            return daneVerdicts.getOrDefault(v, 0L);
        }

        /** A DANE configuration that did not run with DANE active: its figures are not DANE's. */
        boolean notDane() {
            return config.dane && daneActive != 1;
        }

        /** CPU milliseconds per delivered mail. */
        double perMail(double cpuSeconds) {
            return delivered == 0 ? Double.NaN : cpuSeconds * 1000 / delivered;
        }

        Run(Config config, int round) {
            this.config = config;
            this.round = round;
        }
    }

    void run() throws Exception {
        Files.createDirectories(work);
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= domains; i++) {
            names.add(String.format(Locale.ROOT, "bench%02d.example", i));
        }
        List<String> labels = new ArrayList<>();
        for (Config c : order) {
            labels.add(c.label);
        }
        out.printf(Locale.ROOT, "=== bin/demo --bench: %d mails to %d domains over STARTTLS (all domains enforce),"
                + " %s, %d round(s)%s ===%n", mails, domains, String.join(" / ", labels), rounds,
                dane ? ", DNSSEC-signed DNS with TLSA for every MX host" : "");
        try (SimulatedInternet net = SimulatedInternet.start(SimulatedInternet.Ports.wellKnown())) {
            // --dane: the root and example. signed under the demo's test root key (James's dane.trustAnchors,
            // as in scenarios j-l), for every configuration alike, so that the runs differ only by the mailet.
            Path anchors = dane
                    ? Files.writeString(work.resolve("dane-trust-anchor.txt"),
                            net.signZones(List.of("example."), List.of()) + "\n")
                    : null;
            List<String> mxHosts = new ArrayList<>();
            for (String d : names) {
                String mx = "mx." + d;
                mxHosts.add(mx);
                net.publish(d, "bench1", "version: STSv1\nmode: enforce\nmx: " + mx + "\nmax_age: 86400\n",
                        Demo.POLICY_HOST_ADDRESS);
                net.mx(d, mx);
            }
            TestCa.Issued cert = net.ca().issue(mxHosts.toArray(new String[0]));
            TestSmtpReceiver receiver = net.sharedReceiver(RECEIVER_ADDRESS, mxHosts, cert);
            if (dane) {
                // RFC 7672 §3.1.1: DANE-EE, the receiver's public key, for port 25 of every MX host.
                for (String mx : mxHosts) {
                    net.publishDaneEe(mx, cert.certificate());
                }
            }
            Path trust = net.writeTrustStore(work.resolve("demo-ca.p12"));
            step("published " + domains + " enforce policies; one receiver on " + RECEIVER_ADDRESS
                    + ":25 serves every MX name (one certificate naming them all)"
                    + (dane ? "; DNS signed (root, example.), every MX host with TLSA 3 1 1 of that key" : ""));
            List<Run> runs = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                // Round r starts with the configuration at position r - 1 of the order, so that over as many
                // rounds as configurations each one runs once in every position: a drift within a round
                // (Cassandra compacting, the page cache filling) then favours none of them.
                for (int k = 0; k < order.size(); k++) {
                    Config c = order.get((round - 1 + k) % order.size());
                    runs.add(measure(receiver, names, trust, anchors, c, round));
                }
            }
            report(runs);
        }
    }

    private Run measure(TestSmtpReceiver receiver, List<String> names, Path trust, Path anchors, Config config,
                        int round) throws Exception {
        Run run = new Run(config, round);
        String label = config.label;
        // James's DNS cache stays on, as in a deployment: with it off (the demo's setting) every delivery
        // asked the simulated DNS server for the MX and its address, and on the CPU-bound machine the
        // delivery threads spent about a third of their time waiting for those answers (JFR, 2026-12-03),
        // a wait that moved with the scheduling of the harness's JVM rather than with the mailet.
        DemoJames james = new DemoJames(root, work.resolve("james-" + label)).withJamesDnsCache();
        Path overlay = work.resolve("conf-overlay-" + label);
        Map<String, String> properties = new LinkedHashMap<>(config.properties);
        String mailetParams = "";
        if (config.dane) {
            // The demo's test root key, as in scenarios j-l; the resolver is dns.resolvers (the simulated DNS),
            // dane.resolvers being empty. The DANE caches keep their defaults: a running server's steady state.
            properties.put("dane.trustAnchors", anchors.toString());
            mailetParams = "        <dane>follow</dane>\n";
        }
        james.writeOverlay(overlay, config.mailet, mailetParams, trust, "mta_sts_bench", threads, properties);
        boolean mailet = config != Config.STOCK;
        step("starting James with " + label + " (" + (config == Config.STOCK
                ? "its own pool of 20 delivery threads" : threads + " delivery threads") + "), round " + round);
        james.start(overlay);
        try {
            // Warm-up, not measured: JIT, connection set-up, and (for the mailet) the first policy
            // fetch of each domain, which a running server has done long before.
            int warm = 2 * names.size();
            int before = receiver.count();
            inject(names, warm, "warm-up");
            if (!awaitCount(receiver, before + warm, 300)) {
                step("warm-up incomplete: " + (receiver.count() - before) + "/" + warm + " delivered");
            }
            int start = receiver.count();
            // The mailet counts an attempt's DANE verdict just after the receiver has the mail: wait for the
            // warm-up's counts to land, so that they stay out of the measured ones.
            Map<DaneVerdict, Long> dane0 = mailet ? settledDaneCounters(james, warm) : Map.of();
            step("warm-up done (" + warm + " mails); measuring " + mails + " mails");
            long jamesPid = james.pid();
            long cassandraPid = cassandraPid();
            Path recording = jfr ? startRecording(jamesPid, label + "-" + round) : null;
            double jamesCpu0 = ProcessCpu.seconds(jamesPid);
            double cassandraCpu0 = ProcessCpu.seconds(cassandraPid);
            long begin = System.nanoTime();
            inject(names, mails, "bench " + label);
            run.complete = awaitCount(receiver, start + mails, 900);
            run.jamesCpu = ProcessCpu.seconds(jamesPid) - jamesCpu0;
            run.cassandraCpu = ProcessCpu.seconds(cassandraPid) - cassandraCpu0;
            if (recording != null) {
                stopRecording(jamesPid, recording);
            }
            List<TestSmtpReceiver.Received> got = receiver.messages();
            List<TestSmtpReceiver.Received> measured = got.subList(start, got.size());
            long last = measured.isEmpty() ? System.nanoTime() : measured.get(measured.size() - 1).atNanos;
            run.delivered = measured.size();
            run.overTls = (int) measured.stream().filter(TestSmtpReceiver.Received::overTls).count();
            run.seconds = (last - begin) / 1e9;
            run.perSecond = run.delivered / run.seconds;
            step(String.format(Locale.ROOT, "%s round %d: %d/%d delivered (%d over TLS) in %.1f s: %.1f mails/s,"
                    + " James CPU %.2f ms/mail%s", label, round, run.delivered, mails, run.overTls, run.seconds,
                    run.perSecond, run.perMail(run.jamesCpu), run.complete ? "" : " (TIMED OUT)"));
            if (mailet) {
                Map<DaneVerdict, Long> dane1 = settledDaneCounters(james, sum(dane0) + run.delivered);
                dane1.forEach((v, n) -> run.daneVerdicts.put(v, n - dane0.getOrDefault(v, 0L)));
            }
            String metrics = james.webAdmin("/metrics");
            run.policyCheck = timer(metrics, "mtaSts_policyCheck");
            run.daneCheck = timer(metrics, "mtaSts_daneCheck");
            run.daneActive = metric(metrics, prometheusName(DaneService.ACTIVE_GAUGE));
            if (mailet) {
                step(daneLine(run));
            }
        } finally {
            james.stop();
        }
        return run;
    }

    /** Starts a JFR recording (profile settings) in James; the file it will be written to. */
    private Path startRecording(long pid, String name) throws Exception {
        Path dir = Files.createDirectories(work.resolve("jfr"));
        Path file = dir.resolve(name + ".jfr");
        Files.deleteIfExists(file);
        jcmd(pid, "JFR.start", "name=bench", "settings=profile");
        return file;
    }

    private void stopRecording(long pid, Path file) throws Exception {
        jcmd(pid, "JFR.stop", "name=bench", "filename=" + file);
        step("JFR recording of the measured mails: " + file);
    }

    private void jcmd(long pid, String... command) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
        cmd.add(Long.toString(pid));
        cmd.addAll(List.of(command));
        Map.Entry<Integer, String> r = DemoJames.capture(cmd);
        if (r.getKey() != 0) {
            step("jcmd " + String.join(" ", command) + " failed (exit " + r.getKey() + "): " + r.getValue().trim());
        }
    }

    /** The pid of the Cassandra node bin/cassandra started (its pid file in MTA_STS_CASSANDRA_DIR), or -1. */
    private long cassandraPid() {
        String dir = System.getenv("MTA_STS_CASSANDRA_DIR");
        Path base = dir == null || dir.isEmpty() ? root.resolve("run/cassandra") : Path.of(dir);
        return ProcessCpu.pidFrom(base.resolve("cassandra.pid"));
    }

    /** Sends {@code count} mails round-robin over the domains, on a few SMTP connections at once. */
    private void inject(List<String> names, int count, String tag) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(INJECTORS);
        try {
            List<Future<Void>> jobs = new ArrayList<>();
            for (int w = 0; w < INJECTORS; w++) {
                int worker = w;
                jobs.add(pool.submit(() -> {
                    try (DemoJames.Smtp smtp = new DemoJames.Smtp()) {
                        for (int i = worker; i < count; i += INJECTORS) {
                            smtp.send(Demo.SENDER, "user" + i + "@" + names.get(i % names.size()), "[" + tag + "] #" + i);
                        }
                    }
                    return null;
                }));
            }
            for (Future<Void> f : jobs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static boolean awaitCount(TestSmtpReceiver receiver, int target, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (receiver.count() < target) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    /**
     * The DANE verdict counters ({@code mtaSts.dane.<verdict>}, one count per delivery attempt) once they
     * add up to at least {@code atLeast} attempts, or as they are after 15 s.
     */
    private static Map<DaneVerdict, Long> settledDaneCounters(DemoJames james, long atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (true) {
            Map<DaneVerdict, Long> counts = daneCounters(james.webAdmin("/metrics"));
            if (sum(counts) >= atLeast || System.nanoTime() > deadline) {
                return counts;
            }
            Thread.sleep(200);
        }
    }

    /** The counters {@code mtaSts.dane.<verdict>} in WebAdmin's /metrics (absent ones left out). */
    static Map<DaneVerdict, Long> daneCounters(String metrics) {
        Map<DaneVerdict, Long> counts = new EnumMap<>(DaneVerdict.class);
        for (DaneVerdict v : DaneVerdict.values()) {
            double n = metric(metrics, prometheusName(MtaStsMetrics.DANE_PREFIX + v.label()));
            if (!Double.isNaN(n)) {
                counts.put(v, (long) n);
            }
        }
        return counts;
    }

    private static long sum(Map<DaneVerdict, Long> counts) {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }

    /** A Dropwizard metric's name as WebAdmin's Prometheus output spells it (mtaSts.dane.not-applicable: mtaSts_dane_not_applicable). */
    static String prometheusName(String metric) {
        return metric.replaceAll("[^A-Za-z0-9_:]", "_");
    }

    /** The value of the counter or gauge {@code name} (Prometheus-sanitized) in {@code metrics}, or NaN. */
    static double metric(String metrics, String name) {
        if (metrics == null) {
            return Double.NaN;
        }
        for (String line : metrics.split("\n")) {
            String[] parts = line.trim().split("\\s+");
            if (line.startsWith("#") || parts.length < 2) {
                continue;
            }
            String key = parts[0];
            int brace = key.indexOf('{');
            String bare = brace < 0 ? key : key.substring(0, brace);
            if (bare.equals(name) || bare.equals(name + "_total")) {
                return Double.parseDouble(parts[parts.length - 1]);
            }
        }
        return Double.NaN;
    }

    /**
     * What DANE did in one of the mailet's runs: gauge mtaSts.dane.active and the measured mails' attempts
     * by DANE verdict. A DANE configuration whose DANE was not active says so loudly.
     */
    static String daneLine(Run r) {
        String state = r.daneActive == 1 ? "DANE active" : r.daneActive == 0 ? "DANE off (gauge mtaSts.dane.active 0)"
                : "DANE state unknown (no gauge mtaSts.dane.active in /metrics)";
        StringBuilder verdicts = new StringBuilder();
        r.daneVerdicts.forEach((v, n) -> {
            if (n != 0) {
                verdicts.append(verdicts.length() == 0 ? "" : ", ").append(v.label()).append(' ').append(n);
            }
        });
        String attempts = "attempts by DANE verdict: " + (verdicts.length() == 0 ? "none counted" : verdicts);
        if (!r.config.dane) {
            return String.format(Locale.ROOT, "%s round %d: %s; %s", r.config.label, r.round, state, attempts);
        }
        String line = String.format(Locale.ROOT, "%s round %d: %s, %d of %d deliveries DANE-authenticated (%s)",
                r.config.label, r.round, state, r.dane(DaneVerdict.AUTHENTICATED), r.delivered, attempts);
        if (r.notDane()) {
            return "!!! " + line + " !!! DANE WAS NOT ACTIVE: this run's figures are NOT DANE's (self-check failed?"
                    + " see the DANE (RFC 7672) lines in James's log)";
        }
        return line;
    }

    /** Timer summaries in WebAdmin's Prometheus output (James's Dropwizard timers, in seconds). */
    static final class Timer {
        double p50 = Double.NaN;
        double p99 = Double.NaN;
        long count = -1;

        boolean present() {
            return count >= 0;
        }

        String describe() {
            return present() ? String.format(Locale.ROOT, "p50 %s, p99 %s (%d samples, James's timer reservoir)",
                    human(p50), human(p99), count) : "(not in /metrics)";
        }

        private static String human(double seconds) {
            return seconds >= 1e-3 ? String.format(Locale.ROOT, "%.2f ms", seconds * 1e3)
                    : String.format(Locale.ROOT, "%.1f µs", seconds * 1e6);
        }
    }

    /** The summary of timer {@code name} (Prometheus-sanitized, e.g. mtaSts_policyCheck) in {@code metrics}. */
    static Timer timer(String metrics, String name) {
        Timer t = new Timer();
        if (metrics == null) {
            return t;
        }
        for (String line : metrics.split("\n")) {
            String[] parts = line.trim().split("\\s+");
            if (line.startsWith("#") || parts.length < 2) {
                continue;
            }
            String value = parts[parts.length - 1];
            if (line.startsWith(name + "{quantile=\"0.5\"")) {
                t.p50 = Double.parseDouble(value);
            } else if (line.startsWith(name + "{quantile=\"0.99\"")) {
                t.p99 = Double.parseDouble(value);
            } else if (line.startsWith(name + "_count")) {
                t.count = (long) Double.parseDouble(value);
            }
        }
        return t;
    }

    private void report(List<Run> runs) {
        out.println();
        out.println("=== Benchmark results (figures only; nothing asserted) ===");
        out.printf(Locale.ROOT, "%-16s %5s %10s %9s %9s %13s %13s %18s%n", "configuration", "round", "delivered",
                "seconds", "mails/s", "James ms/mail", "Cass. ms/mail", "mails/s vs stock");
        for (Run r : runs) {
            Run stock = stockOf(runs, r.round);
            out.printf(Locale.ROOT, "%-16s %5d %10d %9.1f %9.1f %13.2f %13.2f %18s%s%s%n", r.config.label, r.round,
                    r.delivered, r.seconds, r.perSecond, r.perMail(r.jamesCpu), r.perMail(r.cassandraCpu),
                    stock == null || r.config == Config.STOCK ? "-"
                            : String.format(Locale.ROOT, "%.3f", r.perSecond / stock.perSecond),
                    r.complete ? "" : "  (TIMED OUT)", daneMark(r));
        }
        out.println("(ms/mail: user + system CPU milliseconds per delivered mail, from /proc/<pid>/stat over the"
                + " measured mails; it holds still from run to run where mails/s does not. Ratios are to the stock"
                + " run of the same round.)");
        Map<Config, List<Run>> byConfig = new LinkedHashMap<>();
        for (Run r : runs) {
            byConfig.computeIfAbsent(r.config, c -> new ArrayList<>()).add(r);
        }
        List<Run> stocks = byConfig.get(Config.STOCK);
        if (stocks != null && byConfig.size() > 1) {
            out.println("summary over " + rounds + " round(s) (mean; min..max):");
            double stockRate = mean(stocks, r -> r.perSecond);
            double stockCpu = mean(stocks, r -> r.perMail(r.jamesCpu));
            for (Map.Entry<Config, List<Run>> e : byConfig.entrySet()) {
                List<Run> rs = e.getValue();
                double rate = mean(rs, r -> r.perSecond);
                double cpu = mean(rs, r -> r.perMail(r.jamesCpu));
                out.printf(Locale.ROOT, "  %-16s %7.1f mails/s (%s), James CPU %.2f ms/mail (%s)", e.getKey().label,
                        rate, range(rs, r -> r.perSecond, "%.1f"), cpu, range(rs, r -> r.perMail(r.jamesCpu), "%.2f"));
                if (e.getKey() != Config.STOCK) {
                    out.printf(Locale.ROOT, "; vs stock: mails/s %.3f (goal >= 0.95), James CPU %.3f",
                            rate / stockRate, cpu / stockCpu);
                }
                long notDane = rs.stream().filter(Run::notDane).count();
                if (notDane > 0) {
                    out.printf(Locale.ROOT, "  [%d of %d runs NOT DANE: DANE was not active]", notDane, rs.size());
                }
                out.println();
            }
            List<Run> mailet = byConfig.get(Config.MTA_STS);
            List<Run> tls = byConfig.get(Config.TLSRPT);
            if (mailet != null && tls != null) {
                out.printf(Locale.ROOT, "  TLS-RPT recording on vs off (same mailet): mails/s %.3f, James CPU %+.3f ms/mail%n",
                        mean(tls, r -> r.perSecond) / mean(mailet, r -> r.perSecond),
                        mean(tls, r -> r.perMail(r.jamesCpu)) - mean(mailet, r -> r.perMail(r.jamesCpu)));
            }
            List<Run> withDane = byConfig.get(Config.DANE);
            if (mailet != null && withDane != null) {
                out.printf(Locale.ROOT, "  DANE on vs off (same mailet, same signed DNS): mails/s %.3f, James CPU %+.3f ms/mail%n",
                        mean(withDane, r -> r.perSecond) / mean(mailet, r -> r.perSecond),
                        mean(withDane, r -> r.perMail(r.jamesCpu)) - mean(mailet, r -> r.perMail(r.jamesCpu)));
            }
        }
        out.println("latency the policy check adds per delivery attempt: timer mtaSts.policyCheck around the"
                + " mailet's MTA-STS decision (WebAdmin /metrics):");
        for (Run r : runs) {
            if (r.config != Config.STOCK) {
                out.println("  " + r.config.label + " round " + r.round + ": " + r.policyCheck.describe());
            }
        }
        out.printf(Locale.ROOT, "  (the reservoir also holds the %d warm-up attempts, %d of them first lookups that"
                + " fetch the policy over HTTPS and store it: they are the slow tail when they exceed 1%% of samples)%n",
                2 * domains, domains);
        if (dane) {
            out.println("DANE (RFC 7672; gauge mtaSts.dane.active, counters mtaSts.dane.<verdict> over the measured"
                    + " mails, timer mtaSts.daneCheck around the domain's DANE decision per attempt):");
            for (Run r : runs) {
                if (r.config != Config.STOCK) {
                    out.println("  " + daneLine(r));
                    if (r.config.dane) {
                        out.println("    daneCheck " + r.daneCheck.describe());
                    }
                }
            }
            out.println("  (the daneCheck reservoir also holds the warm-up attempts: the first validated lookups of"
                    + " each domain, uncached, chasing keys from the root, are its slow tail)");
        }
        out.printf(Locale.ROOT, "(%d mails, %d domains, %d concurrent deliveries each, %d SMTP injectors; total %.0f s)%n",
                mails, domains, threads, INJECTORS, (System.nanoTime() - t0) / 1e9);
        out.flush();
    }

    /** The results table's mark for a DANE run whose figures are not (all) DANE's. */
    private static String daneMark(Run r) {
        if (r.notDane()) {
            return "  (NOT DANE: DANE was not active)";
        }
        long authenticated = r.dane(DaneVerdict.AUTHENTICATED);
        return r.config.dane && authenticated < r.delivered
                ? String.format(Locale.ROOT, "  (only %d of %d DANE-authenticated)", authenticated, r.delivered) : "";
    }

    private static Run stockOf(List<Run> runs, int round) {
        for (Run r : runs) {
            if (r.config == Config.STOCK && r.round == round) {
                return r;
            }
        }
        return null;
    }

    private static double mean(List<Run> runs, java.util.function.ToDoubleFunction<Run> f) {
        return runs.stream().mapToDouble(f).average().orElse(Double.NaN);
    }

    private static String range(List<Run> runs, java.util.function.ToDoubleFunction<Run> f, String format) {
        java.util.DoubleSummaryStatistics s = runs.stream().mapToDouble(f).summaryStatistics();
        return String.format(Locale.ROOT, format + ".." + format, s.getMin(), s.getMax());
    }

    private void step(String text) {
        out.printf(Locale.ROOT, "[%5.1fs] %s%n", (System.nanoTime() - t0) / 1e9, text);
        out.flush();
    }
}
