package dev.jamesmtasts.reporting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

import dev.jamesmtasts.tlsrpt.TlsRptSettings;
import dev.jamesmtasts.tlsrpt.ReportId;
import dev.jamesmtasts.mtasts.SettingException;
import dev.jamesmtasts.tlsrpt.AppliedPolicy;
import dev.jamesmtasts.tlsrpt.FailureDetail;
import dev.jamesmtasts.tlsrpt.PolicyType;
import dev.jamesmtasts.tlsrpt.ResultType;

/** Unit tests of the reporting settings, report ids and row keys (no store). */
class ReportSettingsTest {

    @Test
    void reportingDefaultsAreTheDocumentedOnes() {
        TlsRptSettings s = TlsRptSettings.defaults();
        assertThat(s.retention()).isEqualTo(Duration.ofDays(30));
        assertThat(s.flushInterval()).isEqualTo(Duration.ofSeconds(30));
        // the lead's decision: a success-only report tells a domain in mode testing that enforce is safe
        assertThat(s.sendSuccessOnlyReports()).isTrue();
        assertThat(s.maxAttempts()).isEqualTo(4);
        assertThat(s.retryDelay()).isEqualTo(Duration.ofHours(1));
        assertThat(s.ruaMaxFailures()).isEqualTo(3);
        assertThat(s.maxKeys()).isEqualTo(100_000);
        assertThat(s.maxKeysPerDomain()).isEqualTo(1_000);
        assertThat(s.leaseTtl()).isEqualTo(Duration.ofMinutes(15));
        assertThat(s.tick()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void badValuesFailNamingTheSetting() {
        assertThatThrownBy(() -> TlsRptSettings.builder().retentionDays(1))
                .isInstanceOf(SettingException.class).hasMessageContaining("retentionDays");
        assertThatThrownBy(() -> TlsRptSettings.builder().maxKeys(0))
                .isInstanceOf(SettingException.class).hasMessageContaining("maxKeys");
        assertThatThrownBy(() -> TlsRptSettings.builder().sendDelayMin(Duration.ofMinutes(10))
                .sendDelayMax(Duration.ofMinutes(5)).build())
                .isInstanceOf(SettingException.class).hasMessageContaining("sendDelayMin");
        assertThatThrownBy(() -> TlsRptSettings.builder().flushInterval(null))
                .isInstanceOf(SettingException.class).hasMessageContaining("flushInterval");
        assertThatThrownBy(() -> TlsRptSettings.builder().submitter("not a domain"))
                .isInstanceOf(SettingException.class).hasMessageContaining("submitter");
        assertThatThrownBy(() -> TlsRptSettings.builder().maxAttempts(101))
                .isInstanceOf(SettingException.class).hasMessageContaining("maxAttempts");
        assertThatThrownBy(() -> TlsRptSettings.builder().leaseTtl(Duration.ZERO))
                .isInstanceOf(SettingException.class).hasMessageContaining("leaseTtl");
    }

    @Test
    void reportIdAndDateRangeOfADay() {
        LocalDate d = LocalDate.of(2026, 3, 9);
        assertThat(ReportId.of(d, "example.com", "mail.example.org")).isEqualTo("20260309.example.com@mail.example.org");
        assertThat(ReportId.start(d)).isEqualTo(Instant.parse("2026-03-09T00:00:00Z"));
        assertThat(ReportId.end(d)).isEqualTo(Instant.parse("2026-03-09T23:59:59Z"));
        assertThat(ReportId.day(Instant.parse("2026-03-09T23:59:59.999Z"))).isEqualTo(d);
        assertThat(ReportId.day(Instant.parse("1969-12-31T23:00:00Z"))).isEqualTo(LocalDate.of(1969, 12, 31));
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
