package dev.jamesmtasts.reporting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The one reading of an administrator's report day (MBean, WebAdmin, CLI): UTC, whatever the zone of the clock. */
class ReportDayTest {
    /** 00:30 UTC on 2026-03-01 is still 2026-02-28 in New York: the day must be the UTC one. */
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-03-01T00:30:00Z"), ZoneId.of("America/New_York"));

    @Test
    void todayYesterdayAndAbsentAreUtcDays() {
        assertThat(ReportDay.parse("today", CLOCK)).isEqualTo(LocalDate.of(2026, 3, 1));
        assertThat(ReportDay.parse(" Yesterday ", CLOCK)).isEqualTo(LocalDate.of(2026, 2, 28));
        assertThat(ReportDay.parse(null, CLOCK)).isEqualTo(LocalDate.of(2026, 2, 28));
        assertThat(ReportDay.parse("", CLOCK)).isEqualTo(LocalDate.of(2026, 2, 28));
        assertThat(ReportDay.parse("  ", Clock.fixed(Instant.parse("2026-01-01T23:59:59Z"), ZoneOffset.UTC)))
                .isEqualTo(LocalDate.of(2025, 12, 31));
    }

    @Test
    void anIsoDateIsThatDay() {
        assertThat(ReportDay.parse("2024-02-29", CLOCK)).isEqualTo(LocalDate.of(2024, 2, 29));
        assertThat(ReportDay.parse("1999-12-31", CLOCK)).isEqualTo(LocalDate.of(1999, 12, 31));
    }

    @ParameterizedTest
    @ValueSource(strings = {"tomorrow", "2025-02-29", "2026-02-30", "2026-13-01", "2026-1-1", "20260101", "+2026-01-01",
            "2026-01-01T00:00Z", "31/12/2025", "２０２６-01-01", "2026-01-01 x", "now"})
    void anythingElseFailsNamingTheParameterAndTheForms(String bad) {
        assertThatThrownBy(() -> ReportDay.parse(bad, CLOCK)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("day must be YYYY-MM-DD, today or yesterday (UTC), got '");
    }

    @Test
    void hostileTextInTheErrorIsEscaped() {
        assertThatThrownBy(() -> ReportDay.parse("\u001b[2J\u202Eday", CLOCK))
                .hasMessageNotContaining("\u001b").hasMessageNotContaining("\u202E");
    }
}
