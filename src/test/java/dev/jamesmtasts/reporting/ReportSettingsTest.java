package dev.jamesmtasts.reporting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

import dev.jamesmtasts.mtasts.SettingException;
import dev.jamesmtasts.tlsrpt.AppliedPolicy;
import dev.jamesmtasts.tlsrpt.FailureDetail;
import dev.jamesmtasts.tlsrpt.PolicyType;
import dev.jamesmtasts.tlsrpt.ResultType;

/** Unit tests of the reporting settings, report ids and row keys (no store). */
class ReportSettingsTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        ReportSettings s = ReportSettings.defaults();
        assertThat(s.retention()).isEqualTo(Duration.ofDays(8));
        assertThat(s.flushInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.sendSuccessOnlyReports()).isTrue();
        assertThat(s.sendDelayMin()).isEqualTo(Duration.ofMinutes(5));
        assertThat(s.sendDelayMax()).isEqualTo(Duration.ofMinutes(60));
        assertThat(s.maxAttempts()).isEqualTo(4);
        assertThat(s.ruaMaxFailures()).isEqualTo(3);
    }

    @Test
    void badValuesFailNamingTheSetting() {
        assertThatThrownBy(() -> ReportSettings.builder().retention(Duration.ofDays(1)))
                .isInstanceOf(SettingException.class).hasMessageContaining("retention").hasMessageContaining("at least");
        assertThatThrownBy(() -> ReportSettings.builder().maxKeys(0))
                .isInstanceOf(SettingException.class).hasMessageContaining("maxKeys");
        assertThatThrownBy(() -> ReportSettings.builder().sendDelay(Duration.ofMinutes(10), Duration.ofMinutes(5)))
                .isInstanceOf(SettingException.class).hasMessageContaining("sendDelayMax");
        assertThatThrownBy(() -> ReportSettings.builder().sendDelay(Duration.ZERO, Duration.ofHours(13)))
                .isInstanceOf(SettingException.class).hasMessageContaining("sendDelayMax");
        assertThatThrownBy(() -> ReportSettings.builder().flushInterval(null))
                .isInstanceOf(SettingException.class).hasMessageContaining("flushInterval");
        assertThatThrownBy(() -> ReportSettings.builder().submitter(" "))
                .isInstanceOf(SettingException.class).hasMessageContaining("submitter");
        assertThatThrownBy(() -> ReportSettings.builder().maxAttempts(101))
                .isInstanceOf(SettingException.class).hasMessageContaining("maxAttempts");
    }

    @Test
    void reportIdAndDateRangeOfADay() {
        LocalDate d = LocalDate.of(2026, 3, 9);
        assertThat(ReportIds.reportId(d, "example.com", "mail.example.org")).isEqualTo("20260309.example.com@mail.example.org");
        assertThat(ReportIds.start(d)).isEqualTo(Instant.parse("2026-03-09T00:00:00Z"));
        assertThat(ReportIds.end(d)).isEqualTo(Instant.parse("2026-03-09T23:59:59Z"));
        assertThat(ReportIds.day(Instant.parse("2026-03-09T23:59:59.999Z"))).isEqualTo(d);
        assertThat(ReportIds.day(Instant.parse("1969-12-31T23:00:00Z"))).isEqualTo(LocalDate.of(1969, 12, 31));
    }

    @Test
    void rowKeysTellEveryFieldApartAndAreEqualForEqualValues() {
        FailureDetail a = new FailureDetail(ResultType.CERTIFICATE_EXPIRED, "192.0.2.1", "mx.example", null, null, null, null);
        FailureDetail sameAsA = new FailureDetail(ResultType.CERTIFICATE_EXPIRED, "192.0.2.1", "mx.example", null, null, null, null);
        FailureDetail emptyNotNull = new FailureDetail(ResultType.CERTIFICATE_EXPIRED, "192.0.2.1", "mx.example", "", null, null, null);
        FailureDetail shifted = new FailureDetail(ResultType.CERTIFICATE_EXPIRED, "192.0.2.1", null, "mx.example", null, null, null);
        assertThat(ResultKeys.detailKey(a)).isEqualTo(ResultKeys.detailKey(sameAsA)).hasSize(32);
        assertThat(ResultKeys.detailKey(a)).isNotEqualTo(ResultKeys.detailKey(emptyNotNull))
                .isNotEqualTo(ResultKeys.detailKey(shifted));
        AppliedPolicy p = AppliedPolicy.sts("example.com", "version: STSv1\nmode: enforce\n", Arrays.asList("mx.example"));
        AppliedPolicy joined = new AppliedPolicy(PolicyType.STS, "example.com", Arrays.asList("version: STSv1mode: enforce"),
                Arrays.asList("mx.example"));
        assertThat(ResultKeys.policyKey(p)).isEqualTo(ResultKeys.policyKey(
                AppliedPolicy.sts("example.com", "version: STSv1\r\nmode: enforce", Arrays.asList("mx.example"))));
        assertThat(ResultKeys.policyKey(p)).isNotEqualTo(ResultKeys.policyKey(joined))
                .isNotEqualTo(ResultKeys.policyKey(AppliedPolicy.none("example.com")));
    }
}
