package dev.jamesmtasts.reporting;

import java.time.Duration;
import java.util.Objects;

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

        /** At least 2 days: the report of a day is sent on the next day, its retries later that day. */
        public Builder retention(Duration v) {
            retention = atLeast("retention", v, Duration.ofDays(2));
            return this;
        }

        public Builder flushInterval(Duration v) {
            flushInterval = atLeast("flushInterval", v, Duration.ofMillis(10));
            return this;
        }

        public Builder maxKeys(int v) {
            maxKeys = positive("maxKeys", v);
            return this;
        }

        public Builder maxKeysPerDomain(int v) {
            maxKeysPerDomain = positive("maxKeysPerDomain", v);
            return this;
        }

        /** The random delay after 00:00 UTC is drawn in [min, max]; max at most 12 h (the day's retries follow). */
        public Builder sendDelay(Duration min, Duration max) {
            Duration lo = atLeast("sendDelayMin", min, Duration.ZERO);
            Duration hi = atLeast("sendDelayMax", max, lo);
            if (hi.compareTo(Duration.ofHours(12)) > 0) {
                throw new IllegalArgumentException("sendDelayMax must be at most 12h, got " + hi);
            }
            sendDelayMin = lo;
            sendDelayMax = hi;
            return this;
        }

        public Builder tick(Duration v) {
            tick = atLeast("tick", v, Duration.ofMillis(10));
            return this;
        }

        public Builder leaseTtl(Duration v) {
            leaseTtl = atLeast("leaseTtl", v, Duration.ofSeconds(1));
            return this;
        }

        public Builder maxAttempts(int v) {
            maxAttempts = positive("maxAttempts", v);
            return this;
        }

        public Builder retryDelay(Duration v) {
            retryDelay = atLeast("retryDelay", v, Duration.ZERO);
            return this;
        }

        public Builder ruaMaxFailures(int v) {
            ruaMaxFailures = positive("ruaMaxFailures", v);
            return this;
        }

        public Builder ruaSuppression(Duration v) {
            ruaSuppression = atLeast("ruaSuppression", v, Duration.ofSeconds(1));
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

        private static Duration atLeast(String name, Duration v, Duration min) {
            Objects.requireNonNull(v, name);
            if (v.compareTo(min) < 0) {
                throw new IllegalArgumentException(name + " must be at least " + min + ", got " + v);
            }
            return v;
        }

        private static int positive(String name, int v) {
            if (v < 1) {
                throw new IllegalArgumentException(name + " must be at least 1, got " + v);
            }
            return v;
        }

        private static String nonBlank(String name, String v) {
            if (v == null || v.trim().isEmpty()) {
                throw new IllegalArgumentException(name + " must not be empty");
            }
            return v.trim();
        }
    }
}
