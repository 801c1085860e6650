package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXConnectorServerFactory;
import javax.management.remote.JMXServiceURL;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.inject.AbstractModule;
import com.google.inject.util.Modules;

import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.cache.PolicyProvider;
import dev.jamesmtasts.cli.MtaStsCli;
import dev.jamesmtasts.reporting.ReportDelivery;
import dev.jamesmtasts.reporting.ReportDestinations;
import dev.jamesmtasts.tlsrpt.ReportId;
import dev.jamesmtasts.reporting.ReportScheduler;
import dev.jamesmtasts.tlsrpt.TlsRptSettings;
import dev.jamesmtasts.reporting.ReportStore;
import dev.jamesmtasts.reporting.ResultRecorder;
import dev.jamesmtasts.testing.CassandraExtension;
import dev.jamesmtasts.testing.HostileDomain;
import dev.jamesmtasts.tlsrpt.AppliedPolicy;
import dev.jamesmtasts.tlsrpt.FailureDetail;
import dev.jamesmtasts.tlsrpt.ReportJson;
import dev.jamesmtasts.tlsrpt.ResultType;
import dev.jamesmtasts.tlsrpt.SessionResult;
import dev.jamesmtasts.tlsrpt.TlsReport;

/**
 * The TLS-RPT admin surfaces of a real in-process James 3.8.1: the MBean operations, the WebAdmin routes
 * and {@code mta-sts tlsrpt} over a real JMX RMI connector, all over a real {@link ReportStore} on the
 * shared Cassandra node. Until the Cassandra backend wires TLS-RPT itself, the test binds a backend whose
 * {@link MtaStsBackend#tlsRpt()} returns parts built here (real store, recorder and scheduler; the
 * delivery is a recording double of {@link ReportDelivery}, whose HTTPS and mail transports are tested on
 * their own). Setting {@link #reporting} to null turns TLS-RPT off on the running node.
 */
class TlsRptAdminTest {
    @RegisterExtension
    static final CassandraExtension CASSANDRA = new CassandraExtension();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final URI RUA = URI.create("https://reports.example/tlsrpt");
    /** A policy body as a hostile policy host may serve it: terminal escapes, bidi override, C1 CSI. */
    private static final String HOSTILE_POLICY = "version: STSv1\nmode: enforce\nmx: mx.hostile.test\nmax_age: 86400\n"
            + "x-note: \u001b[2J\u202Egnp.exe \u009b2J " + HostileDomain.MARKER + "\n";

    static volatile TlsRptReporting reporting;
    static final List<TlsReport> DELIVERED = new CopyOnWriteArrayList<>();

    /** The in-memory policy cache of {@link TestMtaStsModule}, with the TLS-RPT parts of this test. */
    static final class Backend implements MtaStsBackend {
        @Override
        public PolicyProvider provider() {
            return InMemoryPolicies.shared().provider();
        }

        @Override
        public PolicyCacheAdmin admin() {
            return InMemoryPolicies.shared().admin();
        }

        @Override
        public void start() throws Exception {
            InMemoryPolicies.shared().start();
        }

        @Override
        public Optional<TlsRptReporting> tlsRpt() {
            return Optional.ofNullable(reporting);
        }

        @Override
        public void stop() {
            InMemoryPolicies.shared().stop();
        }
    }

    public static final class Module extends AbstractModule {
        @Override
        protected void configure() {
            install(Modules.override(new MtaStsModule())
                    .with(binder -> binder.bind(MtaStsBackend.class).toInstance(new Backend())));
        }
    }

    private static JamesHarness james;
    private static TlsRptReporting parts;
    private static LocalDate day;
    private static String dayText;

    @BeforeAll
    static void start() throws Exception {
        InMemoryPolicies.reset();
        day = ReportId.day(Instant.now()).minusDays(1);
        dayText = day.toString();
        ReportStore store = ReportStore.create(CASSANDRA.session(), CacheSettings.builder().keyspace(CASSANDRA.keyspace()).build());
        TlsRptSettings settings = TlsRptSettings.builder().retentionDays(40)
                .organizationName("Admin Test Org").contactInfo("mailto:tlsrpt@james.local").submitter("james.local").build();
        ResultRecorder recorder = new ResultRecorder(store, settings, Clock.systemUTC());
        ReportDelivery delivery = (rua, report) -> {
            DELIVERED.add(report);
            return ReportDelivery.Result.delivered();
        };
        ReportScheduler scheduler = new ReportScheduler(store, d -> ReportDestinations.Lookup.found(List.of(RUA)), delivery,
                settings, Clock.systemUTC(), "admin-test-node");
        Instant noon = ReportId.start(day).plus(Duration.ofHours(12));
        record(recorder, noon, sts("mbean.test"), 3, 2);
        record(recorder, noon, sts("routes.test"), 4, 1);
        record(recorder, noon, sts("cli.test"), 5, 0);
        record(recorder, noon, AppliedPolicy.sts("hostile.test", HOSTILE_POLICY, List.of("mx.hostile.test")), 0, 1);
        assertThat(recorder.flush().failed()).isZero();
        parts = new TlsRptReporting(store, recorder, scheduler);
        reporting = parts;
        james = new JamesHarness(JamesHarness.mailetContainer("<startTLS>true</startTLS>"),
                "# test: TLS-RPT parts bound by the test module\n", Module.class);
    }

    @AfterAll
    static void stop() throws Exception {
        if (james != null) {
            james.close();
        }
        if (parts != null) {
            parts.scheduler().close();
            parts.recorder().close();
        }
    }

    @AfterEach
    void on() {
        reporting = parts;
    }

    private static AppliedPolicy sts(String domain) {
        return AppliedPolicy.sts(domain, "version: STSv1\nmode: enforce\nmx: mx." + domain + "\nmax_age: 86400\n",
                List.of("mx." + domain));
    }

    /** Sessions of now, written to the store by a recorder of their own (the node's counts stay as they are). */
    private static void recordToday(AppliedPolicy policy, int ok, int failed) {
        TlsRptSettings settings = TlsRptSettings.builder().retentionDays(40).build();
        try (ResultRecorder recorder = new ResultRecorder(parts.store(), settings, Clock.systemUTC())) {
            record(recorder, Instant.now(), policy, ok, failed);
            assertThat(recorder.flush().failed()).isZero();
        }
    }

    private static void record(ResultRecorder recorder, Instant when, AppliedPolicy policy, int ok, int failed) {
        for (int i = 0; i < ok; i++) {
            recorder.record(when, SessionResult.success(policy));
        }
        for (int i = 0; i < failed; i++) {
            recorder.record(when, SessionResult.failure(policy, new FailureDetail(ResultType.CERTIFICATE_EXPIRED,
                    "127.0.0.1", "mx." + policy.policyDomain(), null, "127.0.0.2", null, null)));
        }
    }

    private static MBeanServer mbeans() {
        return ManagementFactory.getPlatformMBeanServer();
    }

    private static Object invoke(String op, Object[] args, String[] types) throws Exception {
        return mbeans().invoke(new ObjectName(MtaStsMBean.OBJECT_NAME), op, args, types);
    }

    private static final String S = String.class.getName();

    @SuppressWarnings("unchecked")
    @Test
    void theMBeanListsShowsAndSendsTheReportsOfADay() throws Exception {
        List<Map<String, String>> rows = (List<Map<String, String>>) invoke("listTlsReports", new Object[] {dayText}, new String[] {S});
        Map<String, String> row = rows.stream().filter(r -> r.get("domain").equals("mbean.test")).findFirst().orElseThrow();
        assertThat(row).containsEntry("day", dayText).containsEntry("successful", "3").containsEntry("failed", "2")
                .containsEntry("state", "pending");

        Map<String, String> shown = (Map<String, String>) invoke("showTlsReport", new Object[] {"MBean.test.", dayText},
                new String[] {S, S});
        assertThat(shown).containsEntry("domain", "mbean.test").containsEntry("successful", "3");
        // the report as it would be sent: the exact RFC 8460 JSON the scheduler posts
        TlsReport report = ReportJson.read(shown.get("report").getBytes(StandardCharsets.UTF_8));
        assertThat(report.organizationName()).isEqualTo("Admin Test Org");
        assertThat(report.reportId()).isEqualTo(ReportId.of(day, "mbean.test", "james.local"));
        assertThat(report.policies()).hasSize(1);
        assertThat(report.policies().get(0).successfulSessions()).isEqualTo(3);
        assertThat(report.policies().get(0).failedSessions()).isEqualTo(2);

        long sentBefore = parts.scheduler().sent();
        List<Map<String, String>> outcomes = (List<Map<String, String>>) invoke("sendTlsReportsNow",
                new Object[] {"mbean.test", dayText, false}, new String[] {S, S, boolean.class.getName()});
        assertThat(outcomes).hasSize(1);
        assertThat(outcomes.get(0)).containsEntry("domain", "mbean.test").containsEntry("outcome", "sent")
                .containsEntry("rua", RUA.toString()).containsEntry("report_id", report.reportId());
        assertThat(DELIVERED).anySatisfy(r -> assertThat(r.reportId()).isEqualTo(report.reportId()));
        assertThat(parts.scheduler().sent()).isEqualTo(sentBefore + 1);

        rows = (List<Map<String, String>>) invoke("listTlsReports", new Object[] {dayText}, new String[] {S});
        assertThat(rows).anySatisfy(r -> assertThat(r).containsEntry("domain", "mbean.test").containsEntry("state", "sent")
                .containsEntry("sent_to", RUA.toString()));
        // a second send without force: already finished, nothing sent
        outcomes = (List<Map<String, String>>) invoke("sendTlsReportsNow",
                new Object[] {"mbean.test", dayText, false}, new String[] {S, S, boolean.class.getName()});
        assertThat(outcomes.get(0)).containsEntry("outcome", "not_due");

        Map<String, Long> counters = (Map<String, Long>) mbeans().getAttribute(new ObjectName(MtaStsMBean.OBJECT_NAME), "Counters");
        assertThat(counters).containsEntry(TlsRptMetrics.SENT, parts.scheduler().sent())
                .containsEntry(TlsRptMetrics.RECORDED, parts.recorder().recorded());
        assertThat(parts.recorder().recorded()).isEqualTo(16);
    }

    @Test
    void theMBeanSaysClearlyWhenTlsRptIsOffOrTheDayIsBad() throws Exception {
        assertThat(failure(() -> invoke("listTlsReports", new Object[] {"31/12/2025"}, new String[] {S})))
                .contains("day must be YYYY-MM-DD, today or yesterday (UTC)").contains("'31/12/2025'");
        reporting = null;
        assertThat(failure(() -> invoke("listTlsReports", new Object[] {""}, new String[] {S})))
                .contains("TLS-RPT reporting is not enabled").contains("tlsrpt.enabled=false");
    }

    interface Call {
        Object call() throws Exception;
    }

    private static String failure(Call c) {
        try {
            c.call();
        } catch (Exception e) {
            Throwable t = e;
            StringBuilder sb = new StringBuilder();
            while (t != null) {
                sb.append(t.getMessage()).append(" | ");
                t = t.getCause();
            }
            return sb.toString();
        }
        throw new AssertionError("no failure");
    }

    private static HttpResponse<String> http(String method, String path) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + james.webAdminPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build();
        return HttpClient.newHttpClient().send(r, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void webAdminListsShowsAndSendsInJamesStyle() throws Exception {
        HttpResponse<String> list = http("GET", "/mta-sts/tlsrpt/reports?day=" + dayText);
        assertThat(list.statusCode()).isEqualTo(200);
        JsonNode rows = JSON.readTree(list.body());
        JsonNode routes = null;
        for (JsonNode r : rows) {
            if (r.get("domain").asText().equals("routes.test")) {
                routes = r;
            }
        }
        assertThat(routes).isNotNull();
        assertThat(routes.get("successful").asLong()).isEqualTo(4);
        assertThat(routes.get("failed").asLong()).isEqualTo(1);
        assertThat(routes.get("day").asText()).isEqualTo(dayText);

        HttpResponse<String> show = http("GET", "/mta-sts/tlsrpt/reports/routes.test?day=" + dayText);
        assertThat(show.statusCode()).isEqualTo(200);
        JsonNode report = JSON.readTree(show.body()).get("report");
        assertThat(report.get("organization-name").asText()).isEqualTo("Admin Test Org");
        assertThat(report.get("policies").get(0).get("policy").get("policy-domain").asText()).isEqualTo("routes.test");
        assertThat(report.get("policies").get(0).get("summary").get("total-failure-session-count").asLong()).isEqualTo(1);

        HttpResponse<String> none = http("GET", "/mta-sts/tlsrpt/reports/nothing.test?day=" + dayText);
        assertThat(none.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(none.body()).get("message").asText()).contains("nothing.test").contains(dayText);

        HttpResponse<String> badDay = http("GET", "/mta-sts/tlsrpt/reports?day=tomorrow");
        assertThat(badDay.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(badDay.body()).get("message").asText())
                .isEqualTo("day must be YYYY-MM-DD, today or yesterday (UTC), got 'tomorrow'");
        HttpResponse<String> badForce = http("POST", "/mta-sts/tlsrpt/send-now?domain=routes.test&force=yes&day=" + dayText);
        assertThat(badForce.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(badForce.body()).get("message").asText()).contains("force must be true or false");

        HttpResponse<String> sent = http("POST", "/mta-sts/tlsrpt/send-now?domain=routes.test&day=" + dayText);
        assertThat(sent.statusCode()).isEqualTo(200);
        JsonNode outcome = JSON.readTree(sent.body()).get(0);
        assertThat(outcome.get("domain").asText()).isEqualTo("routes.test");
        assertThat(outcome.get("outcome").asText()).isEqualTo("sent");
        assertThat(outcome.get("rua").get(0).asText()).isEqualTo(RUA.toString());
        HttpResponse<String> again = http("POST", "/mta-sts/tlsrpt/send-now?domain=routes.test&force=true&day=" + dayText);
        assertThat(JSON.readTree(again.body()).get(0).get("outcome").asText()).isEqualTo("sent");
    }

    /**
     * A send-now of today (not ended): an interim report, said so in the MBean's and WebAdmin's outcome
     * rows; the day's own report is still to come (its state stays pending).
     */
    @SuppressWarnings("unchecked")
    @Test
    void aSendNowOfTodayIsAnInterimReportAndEveryOutcomeRowSaysSo() throws Exception {
        Instant now = Instant.now();
        assumeTrue(now.isBefore(ReportId.start(ReportId.day(now).plusDays(1)).minus(Duration.ofMinutes(5))),
                "too close to midnight UTC: today would end during the test");
        LocalDate today = ReportId.day(now);
        recordToday(sts("interim.test"), 2, 1);
        List<Map<String, String>> outcomes = (List<Map<String, String>>) invoke("sendTlsReportsNow",
                new Object[] {"interim.test", "today", false}, new String[] {S, S, boolean.class.getName()});
        assertThat(outcomes).hasSize(1);
        assertThat(outcomes.get(0)).containsEntry("outcome", "sent").containsEntry("interim", "true")
                .containsEntry("report_id", ReportId.of(today, "interim.test", "james.local", 2)).containsKey("until");
        TlsReport interim = DELIVERED.get(DELIVERED.size() - 1);
        assertThat(interim.reportId()).isEqualTo(ReportId.of(today, "interim.test", "james.local", 2));
        assertThat(interim.end()).isEqualTo(Instant.parse(outcomes.get(0).get("until"))).isBefore(ReportId.end(today));
        assertThat(interim.policies().get(0).failedSessions()).isEqualTo(1);

        HttpResponse<String> sent = http("POST", "/mta-sts/tlsrpt/send-now?domain=interim.test&day=today");
        assertThat(sent.statusCode()).isEqualTo(200);
        JsonNode outcome = JSON.readTree(sent.body()).get(0);
        assertThat(outcome.get("outcome").asText()).isEqualTo("sent");
        assertThat(outcome.get("interim").isBoolean()).isTrue();
        assertThat(outcome.get("interim").asBoolean()).isTrue();
        assertThat(outcome.get("report_id").asText()).isEqualTo(ReportId.of(today, "interim.test", "james.local", 3));

        List<Map<String, String>> rows = (List<Map<String, String>>) invoke("listTlsReports", new Object[] {"today"},
                new String[] {S});
        assertThat(rows).anySatisfy(r -> assertThat(r).containsEntry("domain", "interim.test").containsEntry("state", "pending"));
        // show: the report as send-now would send it now, the next interim
        Map<String, String> shown = (Map<String, String>) invoke("showTlsReport", new Object[] {"interim.test", "today"},
                new String[] {S, S});
        TlsReport next = ReportJson.read(shown.get("report").getBytes(StandardCharsets.UTF_8));
        assertThat(next.reportId()).isEqualTo(ReportId.of(today, "interim.test", "james.local", 4));
        assertThat(next.end()).isBefore(ReportId.end(today));
    }

    @Test
    void webAdminAnswers404WhileTlsRptIsOff() throws Exception {
        reporting = null;
        for (String[] call : new String[][] {{"GET", "/mta-sts/tlsrpt/reports"}, {"GET", "/mta-sts/tlsrpt/reports/x.test"},
                {"POST", "/mta-sts/tlsrpt/send-now"}}) {
            HttpResponse<String> r = http(call[0], call[1]);
            assertThat(r.statusCode()).as(call[1]).isEqualTo(404);
            assertThat(JSON.readTree(r.body()).get("message").asText()).contains("TLS-RPT reporting is not enabled");
        }
    }

    @Test
    void theTlsRptGaugesAreInJamesMetrics() throws Exception {
        HttpResponse<String> metrics = http("GET", "/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("mtasts_tlsrpt_results_recorded").contains("mtasts_tlsrpt_reports_sent")
                .contains("mtasts_tlsrpt_reports_failed").contains("mtasts_tlsrpt_reports_gaveUp")
                .contains("mtasts_tlsrpt_results_dropped");
    }

    /** {@code mta-sts tlsrpt} over a real JMX RMI connector to this James. */
    @Test
    void theCliListsShowsAndSendsOverJmxWithHostileTextEscaped() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        java.rmi.registry.Registry registry = java.rmi.registry.LocateRegistry.createRegistry(port);
        JMXConnectorServer connector = JMXConnectorServerFactory.newJMXConnectorServer(
                new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + port + "/jmxrmi"), null, mbeans());
        connector.start();
        try {
            String target = "127.0.0.1:" + port;
            String[] list = cli("tlsrpt", "--jmx", target, "list", "--day", dayText);
            assertThat(list[0]).isEqualTo("0");
            assertThat(list[1]).contains("cli.test\tpending\tsuccessful=5\tfailed=0");

            String[] json = cli("tlsrpt", "--jmx", target, "show", "cli.test", "--day", dayText, "--json");
            assertThat(json[0]).isEqualTo("0");
            JsonNode shown = JSON.readTree(json[1]);
            assertThat(shown.get("successful").asLong()).isEqualTo(5);
            assertThat(shown.get("report").get("report-id").asText()).isEqualTo(ReportId.of(day, "cli.test", "james.local"));

            // the policy text a hostile policy host served: escaped on the terminal, as text and as JSON
            String[] hostile = cli("tlsrpt", "--jmx", target, "show", "hostile.test", "--day", dayText);
            assertThat(hostile[0]).isEqualTo("0");
            assertThat(hostile[1]).contains(HostileDomain.MARKER).contains("hostile.test");
            assertThat(HostileDomain.firstUnsafeExceptLfAndTab(hostile[1])).isEqualTo(-1);
            String[] hostileJson = cli("tlsrpt", "--jmx", target, "show", "hostile.test", "--day", dayText, "--json");
            assertThat(HostileDomain.firstUnsafeExceptLfAndTab(hostileJson[1])).isEqualTo(-1);
            assertThat(hostileJson[1]).contains(HostileDomain.MARKER);

            String[] sent = cli("tlsrpt", "--jmx", target, "send-now", "cli.test", "--day", dayText, "--force");
            assertThat(sent[0]).isEqualTo("0");
            assertThat(sent[1]).startsWith("cli.test\tsent\tto=" + RUA);

            // today, not ended: an interim report, said so on the line and in --json
            if (Instant.now().isBefore(ReportId.start(ReportId.day(Instant.now()).plusDays(1)).minus(Duration.ofMinutes(5)))) {
                recordToday(sts("cli-interim.test"), 1, 0);
                String[] interim = cli("tlsrpt", "--jmx", target, "send-now", "cli-interim.test", "--day", "today");
                assertThat(interim[0]).isEqualTo("0");
                assertThat(interim[1]).startsWith("cli-interim.test\tsent\tinterim\tuntil=").contains("\tto=" + RUA)
                        .contains("\treport-id=" + ReportId.of(ReportId.day(Instant.now()), "cli-interim.test", "james.local", 2));
                String[] interimJson = cli("tlsrpt", "--jmx", target, "send-now", "cli-interim.test", "--day", "today",
                        "--json");
                JsonNode row = JSON.readTree(interimJson[1]);
                assertThat(row.get("interim").isBoolean()).isTrue();
                assertThat(row.get("until").asText()).endsWith("Z");
            }

            String[] sentJson = cli("tlsrpt", "--jmx", target, "list", "--day", dayText, "--json");
            List<JsonNode> cliRows = new ArrayList<>();
            for (String line : sentJson[1].split("\n")) {
                cliRows.add(JSON.readTree(line));
            }
            assertThat(cliRows).anySatisfy(r -> {
                assertThat(r.get("domain").asText()).isEqualTo("cli.test");
                assertThat(r.get("state").asText()).isEqualTo("sent");
                assertThat(r.get("sent_to").get(0).asText()).isEqualTo(RUA.toString());
                assertThat(r.get("successful").isNumber()).isTrue();
            });

            String[] absent = cli("tlsrpt", "--jmx", target, "show", "nothing.test", "--day", dayText);
            assertThat(absent[0]).isEqualTo("1");
            assertThat(absent[2]).contains("no TLS-RPT results or report for nothing.test");

            String[] badDay = cli("tlsrpt", "--jmx", target, "list", "--day", "2025-02-30");
            assertThat(badDay[0]).isEqualTo(Integer.toString(MtaStsCli.EXIT_USAGE));
            assertThat(badDay[2]).contains("day must be YYYY-MM-DD, today or yesterday (UTC), got '2025-02-30'");

            reporting = null;
            String[] off = cli("tlsrpt", "--jmx", target, "list");
            assertThat(off[0]).isEqualTo("1");
            assertThat(off[2]).contains("TLS-RPT reporting is not enabled");
        } finally {
            connector.stop();
            java.rmi.server.UnicastRemoteObject.unexportObject(registry, true);
        }
    }

    private static String[] cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = MtaStsCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new String[] {Integer.toString(rc), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }
}
