package dev.jamesmtasts.demo;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.jamesmtasts.testing.TestSmtpReceiver;

/**
 * {@code bin/demo --bench}: the end-to-end benchmark on the demo's set-up. N mails (default 2,000) to
 * 50 domains, all over STARTTLS to one receiving host that serves every domain's MX name, sent
 * into James over SMTP and delivered by (a) James's stock RemoteDelivery, then (b) the project's
 * mailet with all 50 domains publishing an {@code enforce} policy; James is restarted between the
 * two with the other mailetcontainer.xml, everything else (extension installed, Cassandra, delivery
 * threads, retry settings) identical. Prints each run's throughput, the CPU seconds per 1,000 mails
 * of James and of Cassandra (from /proc: a figure that holds still where mails/s moves by ±20% on a
 * shared machine), their ratios, and the latency of the policy check per delivery attempt as the
 * mailet's timer reports it. Figures only: nothing is asserted.
 *
 * <p>Arguments: {@code --root REPO --work DIR [--mails N] [--domains D] [--threads T]}.
 */
public final class DemoBench {
    private static final String RECEIVER_ADDRESS = "127.0.0.100";
    private static final int INJECTORS = 4;

    private final Path root;
    private final Path work;
    private final int mails;
    private final int domains;
    private final int threads;
    /** Measure the stock mailet only (James without the extension: nothing else to compare). */
    private final boolean stockOnly;
    /** Run the mailet first (to see how much the order matters on a shared machine). */
    private final boolean mtaStsFirst;
    private final PrintStream out;
    private final long t0 = System.nanoTime();

    DemoBench(Path root, Path work, int mails, int domains, int threads, boolean stockOnly, boolean mtaStsFirst,
              PrintStream out) {
        this.stockOnly = stockOnly;
        this.mtaStsFirst = mtaStsFirst;
        this.root = root;
        this.work = work;
        this.mails = mails;
        this.domains = domains;
        this.threads = threads;
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
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--root": root = Path.of(args[++i]); break;
                case "--work": work = Path.of(args[++i]); break;
                case "--mails": mails = Integer.parseInt(args[++i]); break;
                case "--domains": domains = Integer.parseInt(args[++i]); break;
                case "--threads": threads = Integer.parseInt(args[++i]); break;
                case "--mailet": stockOnly = "stock".equals(args[++i]); break;
                case "--mta-sts-first": mtaStsFirst = true; break;
                default: throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        new DemoBench(root.toAbsolutePath().normalize(), work.toAbsolutePath().normalize(), mails, domains, threads,
                stockOnly, mtaStsFirst, System.out).run();
        System.exit(0);
    }

    /** One measured run. */
    static final class Run {
        final String mailet;
        double seconds;
        double perSecond;
        int delivered;
        int overTls;
        /** CPU seconds (user + system) used during the measured mails by James and by Cassandra. */
        double jamesCpu = Double.NaN;
        double cassandraCpu = Double.NaN;
        Timer policyCheck = new Timer();

        /** CPU seconds per 1,000 delivered mails. */
        double perThousand(double cpu) {
            return delivered == 0 ? Double.NaN : cpu * 1000 / delivered;
        }

        Run(String mailet) {
            this.mailet = mailet;
        }
    }

    void run() throws Exception {
        Files.createDirectories(work);
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= domains; i++) {
            names.add(String.format(Locale.ROOT, "bench%02d.example", i));
        }
        out.printf(Locale.ROOT, "=== bin/demo --bench: %d mails to %d domains over STARTTLS, stock RemoteDelivery vs"
                + " MtaStsRemoteDelivery (all domains enforce) ===%n", mails, domains);
        try (SimulatedInternet net = SimulatedInternet.start(SimulatedInternet.Ports.wellKnown())) {
            List<String> mxHosts = new ArrayList<>();
            for (String d : names) {
                String mx = "mx." + d;
                mxHosts.add(mx);
                net.publish(d, "bench1", "version: STSv1\nmode: enforce\nmx: " + mx + "\nmax_age: 86400\n",
                        Demo.POLICY_HOST_ADDRESS);
                net.mx(d, mx);
            }
            TestSmtpReceiver receiver = net.sharedReceiver(RECEIVER_ADDRESS, mxHosts);
            Path trust = net.writeTrustStore(work.resolve("demo-ca.p12"));
            step("published " + domains + " enforce policies; one receiver on " + RECEIVER_ADDRESS
                    + ":25 serves every MX name (one certificate naming them all)");

            Run stock;
            Run mtaSts = null;
            if (mtaStsFirst && !stockOnly) {
                mtaSts = measure(net, receiver, names, trust, DemoJames.MTA_STS_MAILET, "mta-sts");
                stock = measure(net, receiver, names, trust, DemoJames.STOCK_MAILET, "stock");
            } else {
                stock = measure(net, receiver, names, trust, DemoJames.STOCK_MAILET, "stock");
                if (!stockOnly) {
                    mtaSts = measure(net, receiver, names, trust, DemoJames.MTA_STS_MAILET, "mta-sts");
                }
            }
            report(stock, mtaSts);
        }
    }

    private Run measure(SimulatedInternet net, TestSmtpReceiver receiver, List<String> names, Path trust,
                        String mailet, String label) throws Exception {
        Run run = new Run(mailet);
        DemoJames james = new DemoJames(root, work.resolve("james-" + label));
        Path overlay = work.resolve("conf-overlay-" + label);
        james.writeOverlay(overlay, mailet, "", trust, "mta_sts_bench", threads, java.util.Map.of());
        step("starting James with " + mailet + " (" + (DemoJames.STOCK_MAILET.equals(mailet)
                ? "its own pool of 20 delivery threads" : threads + " delivery threads") + ")");
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
            step("warm-up done (" + warm + " mails); measuring " + mails + " mails");
            long jamesPid = james.pid();
            long cassandraPid = cassandraPid();
            double jamesCpu0 = ProcessCpu.seconds(jamesPid);
            double cassandraCpu0 = ProcessCpu.seconds(cassandraPid);
            long begin = System.nanoTime();
            inject(names, mails, "bench " + label);
            boolean all = awaitCount(receiver, start + mails, 900);
            run.jamesCpu = ProcessCpu.seconds(jamesPid) - jamesCpu0;
            run.cassandraCpu = ProcessCpu.seconds(cassandraPid) - cassandraCpu0;
            List<TestSmtpReceiver.Received> got = receiver.messages();
            List<TestSmtpReceiver.Received> measured = got.subList(start, got.size());
            long last = measured.isEmpty() ? System.nanoTime() : measured.get(measured.size() - 1).atNanos;
            run.delivered = measured.size();
            run.overTls = (int) measured.stream().filter(TestSmtpReceiver.Received::overTls).count();
            run.seconds = (last - begin) / 1e9;
            run.perSecond = run.delivered / run.seconds;
            step(String.format(Locale.ROOT, "%s: %d/%d delivered (%d over TLS) in %.1f s: %.1f mails/s%s", label,
                    run.delivered, mails, run.overTls, run.seconds, run.perSecond, all ? "" : " (TIMED OUT)"));
            String metrics = james.webAdmin("/metrics");
            run.policyCheck = timer(metrics, "mtaSts_policyCheck");
        } finally {
            james.stop();
        }
        return run;
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

    private void report(Run stock, Run mtaSts) {
        out.println();
        out.println("=== Benchmark results (figures only; nothing asserted) ===");
        out.printf(Locale.ROOT, "%-44s %10s %10s %10s %14s %14s%n", "mailet", "delivered", "seconds", "mails/s",
                "James CPU s/k", "Cassandra s/k");
        for (Run r : new Run[] {stock, mtaSts}) {
            if (r != null) {
                out.printf(Locale.ROOT, "%-44s %10d %10.1f %10.1f %14.2f %14.2f%n", r.mailet, r.delivered, r.seconds,
                        r.perSecond, r.perThousand(r.jamesCpu), r.perThousand(r.cassandraCpu));
            }
        }
        out.println("(CPU s/k: user + system CPU seconds per 1,000 mails, from /proc/<pid>/stat over the measured"
                + " mails; it holds still from run to run where mails/s does not)");
        if (mtaSts == null) {
            out.flush();
            return;
        }
        out.printf(Locale.ROOT, "ratio (MtaStsRemoteDelivery / RemoteDelivery): %.3f   (goal >= 0.95)%n",
                mtaSts.perSecond / stock.perSecond);
        out.printf(Locale.ROOT, "CPU per 1,000 mails, James + Cassandra: stock %.2f s, MtaStsRemoteDelivery %.2f s"
                + " (ratio %.3f)%n", stock.perThousand(stock.jamesCpu + stock.cassandraCpu),
                mtaSts.perThousand(mtaSts.jamesCpu + mtaSts.cassandraCpu),
                (mtaSts.perThousand(mtaSts.jamesCpu + mtaSts.cassandraCpu))
                        / stock.perThousand(stock.jamesCpu + stock.cassandraCpu));
        out.println("latency the policy check adds per delivery attempt: timer mtaSts.policyCheck around the"
                + " mailet's MTA-STS decision (WebAdmin /metrics):");
        out.println("  " + mtaSts.policyCheck.describe());
        out.printf(Locale.ROOT, "  (the reservoir also holds the %d warm-up attempts, %d of them first lookups that"
                + " fetch the policy over HTTPS and store it: they are the slow tail when they exceed 1%% of samples)%n",
                2 * domains, domains);
        out.printf(Locale.ROOT, "(%d mails, %d domains, %d concurrent deliveries each, %d SMTP injectors; total %.0f s)%n",
                mails, domains, threads, INJECTORS, (System.nanoTime() - t0) / 1e9);
        out.flush();
    }

    private void step(String text) {
        out.printf(Locale.ROOT, "[%5.1fs] %s%n", (System.nanoTime() - t0) / 1e9, text);
        out.flush();
    }
}
