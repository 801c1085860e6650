package dev.jamesmtasts.tlsrpt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDate;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** RFC 8460 §4.4 report-id: {@code YYYYMMDD.<policy domain>@<submitter>}, unique per report. */
class ReportIdTest {
    private static final LocalDate DAY = LocalDate.of(2026, 12, 1);
    /** RFC 5322 §3.6.4 msg-id without its angle brackets: dot-atom-text "@" dot-atom-text. */
    private static final Pattern MSG_ID = Pattern.compile(
            "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
            + "@[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*");

    @Test
    void theFirstReportOfADayHasTheDayTheDomainAndTheSubmitter() {
        assertThat(ReportId.of(DAY, "example.com", "mail.sender.example"))
                .isEqualTo("20261201.example.com@mail.sender.example");
    }

    @Test
    void laterReportsOfTheSameDayGetASequenceNumber() {
        assertThat(ReportId.of(DAY, "example.com", "mail.sender.example", 1))
                .isEqualTo("20261201.example.com@mail.sender.example");
        assertThat(ReportId.of(DAY, "example.com", "mail.sender.example", 2))
                .isEqualTo("20261201-2.example.com@mail.sender.example");
    }

    @Test
    void domainsAreLowerCaseALabels() {
        assertThat(ReportId.of(DAY, "B\u00fccher.Example.", "Mail.Sender.Example"))
                .isEqualTo("20261201.xn--bcher-kva.example@mail.sender.example");
    }

    @Test
    void idsAreValidMsgIdsForTheSubjectLine() {
        // RFC 8460 §5.3: "Report-ID: <report-id>" in the Subject.
        assertThat(ReportId.of(DAY, "example.com", "mail.sender.example")).matches(MSG_ID);
        assertThat(ReportId.of(DAY, "_under.example", "mail.sender.example", 12)).matches(MSG_ID);
    }

    @Test
    void idsDifferWhenTheDayTheDomainTheSubmitterOrTheSequenceDiffer() {
        Set<String> ids = new HashSet<>();
        for (int d = 0; d < 3; d++) {
            for (String domain : new String[] {"example.com", "example.net", "1.example.com"}) {
                for (String submitter : new String[] {"a.example", "b.example"}) {
                    for (int seq = 1; seq <= 3; seq++) {
                        ids.add(ReportId.of(DAY.plusDays(d), domain, submitter, seq));
                    }
                }
            }
        }
        assertThat(ids).hasSize(3 * 3 * 2 * 3);
    }

    @Test
    void badInputIsRejected() {
        assertThatThrownBy(() -> ReportId.of(DAY, "example.com", "s.example", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ReportId.of(DAY, "a..b", "s.example")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ReportId.of(DAY, "example.com", "s example")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ReportId.of(LocalDate.of(10000, 1, 1), "example.com", "s.example"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
