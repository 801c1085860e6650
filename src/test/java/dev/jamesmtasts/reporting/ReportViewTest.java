package dev.jamesmtasts.reporting;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.jamesmtasts.tlsrpt.AppliedPolicy;
import dev.jamesmtasts.tlsrpt.FailureDetail;
import dev.jamesmtasts.tlsrpt.ReportJson;
import dev.jamesmtasts.tlsrpt.ResultType;
import dev.jamesmtasts.tlsrpt.TlsReport;

/** The one shape of a report summary row (WebAdmin, JMX, CLI), and its JMX string form read back. */
class ReportViewTest {
    private static final LocalDate DAY = LocalDate.of(2026, 3, 1);

    private static List<TlsReport.PolicyResults> results() {
        AppliedPolicy sts = Results.sts("a.example");
        AppliedPolicy none = AppliedPolicy.none("a.example");
        FailureDetail f = Results.detail(ResultType.CERTIFICATE_EXPIRED, "mx.a.example");
        return List.of(new TlsReport.PolicyResults(sts, 7, 2, Map.of(f, 2L)),
                new TlsReport.PolicyResults(none, 1, 0, Map.of()));
    }

    @Test
    void aPendingRowSumsThePoliciesOfTheDay() {
        Map<String, Object> row = ReportView.row(DAY, "a.example", results(), null);
        assertThat(row).containsExactly(Map.entry("domain", "a.example"), Map.entry("day", "2026-03-01"),
                Map.entry("successful", 8L), Map.entry("failed", 2L), Map.entry("state", "pending"));
    }

    @Test
    void aSentRowCarriesTheSendState() {
        SendState s = new SendState(DAY, "a.example", SendState.State.SENT, "node-1", Instant.parse("2026-03-02T00:10:00Z"),
                null, 1, null, Instant.parse("2026-03-02T00:10:01Z"), List.of("https://r.example/a", "mailto:r@r.example"),
                "https://x.example: HTTP 503", "2026-03-01T00:00:00Z_a.example@org.example");
        Map<String, Object> row = ReportView.row(DAY, "a.example", results(), s);
        assertThat(row).containsEntry("state", "sent").containsEntry("attempts", 1L)
                .containsEntry("sent_at", "2026-03-02T00:10:01Z")
                .containsEntry("sent_to", List.of("https://r.example/a", "mailto:r@r.example"))
                .containsEntry("owner", "node-1").containsEntry("last_error", "https://x.example: HTTP 503")
                .containsEntry("report_id", "2026-03-01T00:00:00Z_a.example@org.example")
                .doesNotContainKey("retry_at");
        // JMX strings, and back to the same shape for the CLI's --json
        Map<String, String> jmx = ReportView.forJmx(row);
        assertThat(jmx).containsEntry("successful", "8").containsEntry("sent_to", "https://r.example/a,mailto:r@r.example");
        assertThat(ReportView.fromJmx(jmx)).isEqualTo(row);
    }

    @Test
    void showAddsTheReportAsTheExactJsonThatIsSent() throws Exception {
        TlsReport report = ReportStore.report(DAY, "a.example", results(), "Org", "mailto:c@org.example", "org.example");
        Map<String, Object> shown = ReportView.show(DAY, "a.example", results(), null, report);
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) shown.get("report");
        assertThat(json).containsKeys("organization-name", "date-range", "contact-info", "report-id", "policies");
        Map<String, String> jmx = ReportView.forJmx(shown);
        TlsReport back = ReportJson.read(jmx.get("report").getBytes(StandardCharsets.UTF_8));
        assertThat(back.reportId()).isEqualTo(report.reportId());
        assertThat(back.policies()).isEqualTo(report.policies());
        assertThat(ReportView.fromJmx(jmx).get("report")).isEqualTo(json);
        assertThat(ReportView.show(DAY, "a.example", List.of(), null, null)).doesNotContainKey("report");
    }

    @Test
    void anOutcomeNamesWhatWasDone() {
        SendOutcome o = new SendOutcome(DAY, "a.example", SendOutcome.Kind.GAVE_UP, null, "every rua suppressed", "id1");
        assertThat(ReportView.outcome(o)).containsExactly(Map.entry("domain", "a.example"), Map.entry("day", "2026-03-01"),
                Map.entry("outcome", "gave_up"), Map.entry("rua", List.of()), Map.entry("detail", "every rua suppressed"),
                Map.entry("report_id", "id1"));
    }
}
