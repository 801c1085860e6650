package dev.jamesmtasts.reporting;

import java.time.Duration;

import dev.jamesmtasts.mtasts.DurationRange;
import dev.jamesmtasts.mtasts.IntRange;
import dev.jamesmtasts.mtasts.SettingException;

/**
 * The settings of TLS-RPT recording and sending (RFC 8460) that are not the store's own (keyspace,
 * consistency and time bound come from {@code cache.CacheSettings}). Values are validated here, each
 * failure naming the setting; the James side maps its configuration keys onto the builder.
 *
 * <table>
 *   <caption>Settings and defaults</caption>
 *   <tr><td>retention</td><td>8 days: result rows and send states expire this long after the end of their day</td></tr>
 *   <tr><td>flushInterval</td><td>30 s: how often a node writes its totals to Cassandra</td></tr>
 *   <tr><td>maxKeys</td><td>100,000: distinct (day, policy, failure detail) counters held by a node</td></tr>
 *   <tr><td>maxKeysPerDomain</td><td>1,000: of those, per (day, policy domain)</td></tr>
 *   <tr><td>sendDelayMin/Max</td><td>5 min / 60 min: the random delay after 00:00 UTC before the previous day is reported</td></tr>
 *   <tr><td>tick</td><td>5 min: how often the scheduler checks for due work (retries included)</td></tr>
 *   <tr><td>leaseTtl</td><td>15 min: a claim of (day, domain) older than this is taken over (its node died mid-send)</td></tr>
 *   <tr><td>maxAttempts</td><td>4: sending attempts of one report before it is given up</td></tr>
 *   <tr><td>retryDelay</td><td>1 h: between two attempts of one report</td></tr>
 *   <tr><td>ruaMaxFailures</td><td>3: consecutive failures of one rua before it is suppressed</td></tr>
 *   <tr><td>ruaSuppression</td><td>3 days: how long a suppressed rua is skipped</td></tr>
 *   <tr><td>sendSuccessOnlyReports</td><td>true: also report days without any failure (see docs/tlsrpt-store.md)</td></tr>
 * </table>
 */
public final class ReportSettings {
    // The allowed ranges, declared once: the builder checks them, the James configuration documents them.
    /** At least 2 days: a day's report goes out the next day, its retries later that day. */
    public static final DurationRange RETENTION = DurationRange.atLeast(Duration.ofDays(2));
    public static final DurationRange FLUSH_INTERVAL = DurationRange.atLeast(Duration.ofMillis(10));
    public static final IntRange MAX_KEYS = IntRange.atLeast(1);
    public static final IntRange MAX_KEYS_PER_DOMAIN = IntRange.atLeast(1);
    public static final DurationRange SEND_DELAY = DurationRange.nonNegative();
    /** The largest {@code sendDelayMax}: the day's retries follow within the day. */
    public static final Duration SEND_DELAY_MAX = Duration.ofHours(12);
    public static final DurationRange TICK = DurationRange.atLeast(Duration.ofMillis(10));
    public static final DurationRange LEASE_TTL = DurationRange.atLeast(Duration.ofSeconds(1));
    public static final IntRange MAX_ATTEMPTS = IntRange.between(1, 100);
    public static final DurationRange RETRY_DELAY = DurationRange.nonNegative();
    public static final IntRange RUA_MAX_FAILURES = IntRange.between(1, 100);
    public static final DurationRange RUA_SUPPRESSION = DurationRange.atLeast(Duration.ofSeconds(1));

    private final Duration retention;
    private final Duration flushInterval;
    private final int maxKeys;
    private final int maxKeysPerDomain;
    private final Duration sendDelayMin;
    private final Duration sendDelayMax;
    private final Duration tick;
    private final Duration leaseTtl;
    private final int maxAttempts;
    private final Duration retryDelay;
    private final int ruaMaxFailures;
    private final Duration ruaSuppression;
    private final boolean sendSuccessOnlyReports;
    private final String organizationName;
    private final String contactInfo;
    private final String submitter;

    private ReportSettings(Builder b) {
        retention = b.retention;
        flushInterval = b.flushInterval;
        maxKeys = b.maxKeys;
        maxKeysPerDomain = b.maxKeysPerDomain;
        sendDelayMin = b.sendDelayMin;
        sendDelayMax = b.sendDelayMax;
        tick = b.tick;
        leaseTtl = b.leaseTtl;
        maxAttempts = b.maxAttempts;
        retryDelay = b.retryDelay;
        ruaMaxFailures = b.ruaMaxFailures;
        ruaSuppression = b.ruaSuppression;
        sendSuccessOnlyReports = b.sendSuccessOnlyReports;
        organizationName = b.organizationName;
        contactInfo = b.contactInfo;
        submitter = b.submitter;
    }

    public static Builder builder() {
        return new Builder();
    }

    public static ReportSettings defaults() {
        return builder().build();
    }

    public Duration retention() { return retention; }
    public Duration flushInterval() { return flushInterval; }
    public int maxKeys() { return maxKeys; }
    public int maxKeysPerDomain() { return maxKeysPerDomain; }
    public Duration sendDelayMin() { return sendDelayMin; }
    public Duration sendDelayMax() { return sendDelayMax; }
    public Duration tick() { return tick; }
    public Duration leaseTtl() { return leaseTtl; }
    public int maxAttempts() { return maxAttempts; }
    public Duration retryDelay() { return retryDelay; }
    public int ruaMaxFailures() { return ruaMaxFailures; }
    public Duration ruaSuppression() { return ruaSuppression; }
    public boolean sendSuccessOnlyReports() { return sendSuccessOnlyReports; }
    /** RFC 8460 §4.4 {@code organization-name}. */
    public String organizationName() { return organizationName; }
    /** RFC 8460 §4.4 {@code contact-info}. */
    public String contactInfo() { return contactInfo; }
    /** The submitter domain: the right-hand side of the report-id, the {@code TLS-Report-Submitter}. */
    public String submitter() { return submitter; }

    @Override
    public String toString() {
        return "ReportSettings{retention=" + retention + ", flushInterval=" + flushInterval + ", maxKeys=" + maxKeys
                + ", maxKeysPerDomain=" + maxKeysPerDomain + ", sendDelay=" + sendDelayMin + ".." + sendDelayMax
                + ", tick=" + tick + ", leaseTtl=" + leaseTtl + ", maxAttempts=" + maxAttempts + ", retryDelay="
                + retryDelay + ", ruaMaxFailures=" + ruaMaxFailures + ", ruaSuppression=" + ruaSuppression
                + ", sendSuccessOnlyReports=" + sendSuccessOnlyReports + ", submitter=" + submitter + "}";
    }

    public static final class Builder {
        private Duration retention = Duration.ofDays(8);
        private Duration flushInterval = Duration.ofSeconds(30);
        private int maxKeys = 100_000;
        private int maxKeysPerDomain = 1_000;
        private Duration sendDelayMin = Duration.ofMinutes(5);
        private Duration sendDelayMax = Duration.ofMinutes(60);
        private Duration tick = Duration.ofMinutes(5);
        private Duration leaseTtl = Duration.ofMinutes(15);
        private int maxAttempts = 4;
        private Duration retryDelay = Duration.ofHours(1);
        private int ruaMaxFailures = 3;
        private Duration ruaSuppression = Duration.ofDays(3);
        private boolean sendSuccessOnlyReports = true;
        private String organizationName = "Apache James MTA-STS";
        private String contactInfo = "postmaster@localhost";
        private String submitter = "localhost";

        private Builder() {
        }

        public Builder retention(Duration v) {
            retention = RETENTION.check("retention", v);
            return this;
        }

        public Builder flushInterval(Duration v) {
            flushInterval = FLUSH_INTERVAL.check("flushInterval", v);
            return this;
        }

        public Builder maxKeys(int v) {
            maxKeys = MAX_KEYS.check("maxKeys", v);
            return this;
        }

        public Builder maxKeysPerDomain(int v) {
            maxKeysPerDomain = MAX_KEYS_PER_DOMAIN.check("maxKeysPerDomain", v);
            return this;
        }

        /** The random delay after 00:00 UTC is drawn in [min, max]; max at most {@link #SEND_DELAY_MAX}. */
        public Builder sendDelay(Duration min, Duration max) {
            Duration lo = SEND_DELAY.check("sendDelayMin", min);
            Duration hi = SEND_DELAY.check("sendDelayMax", max);
            if (hi.compareTo(lo) < 0) {
                throw new SettingException("sendDelayMax", "must be at least sendDelayMin (" + lo + ")");
            }
            if (hi.compareTo(SEND_DELAY_MAX) > 0) {
                throw new SettingException("sendDelayMax", "must be at most " + SEND_DELAY_MAX);
            }
            sendDelayMin = lo;
            sendDelayMax = hi;
            return this;
        }

        public Builder tick(Duration v) {
            tick = TICK.check("tick", v);
            return this;
        }

        public Builder leaseTtl(Duration v) {
            leaseTtl = LEASE_TTL.check("leaseTtl", v);
            return this;
        }

        public Builder maxAttempts(int v) {
            maxAttempts = MAX_ATTEMPTS.check("maxAttempts", v);
            return this;
        }

        public Builder retryDelay(Duration v) {
            retryDelay = RETRY_DELAY.check("retryDelay", v);
            return this;
        }

        public Builder ruaMaxFailures(int v) {
            ruaMaxFailures = RUA_MAX_FAILURES.check("ruaMaxFailures", v);
            return this;
        }

        public Builder ruaSuppression(Duration v) {
            ruaSuppression = RUA_SUPPRESSION.check("ruaSuppression", v);
            return this;
        }

        public Builder sendSuccessOnlyReports(boolean v) {
            sendSuccessOnlyReports = v;
            return this;
        }

        public Builder organizationName(String v) {
            organizationName = nonBlank("organizationName", v);
            return this;
        }

        public Builder contactInfo(String v) {
            contactInfo = nonBlank("contactInfo", v);
            return this;
        }

        public Builder submitter(String v) {
            submitter = nonBlank("submitter", v);
            return this;
        }

        public ReportSettings build() {
            return new ReportSettings(this);
        }

        private static String nonBlank(String name, String v) {
            if (v == null || v.trim().isEmpty()) {
                throw new SettingException(name, "must not be empty");
            }
            return v.trim();
        }
    }
}
