package dev.jamesmtasts.tlsrpt;

import java.time.Duration;
import java.util.Objects;

import dev.jamesmtasts.mtasts.Domains;
import dev.jamesmtasts.mtasts.DurationRange;
import dev.jamesmtasts.mtasts.IntRange;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.mtasts.SettingException;

/**
 * How TLS-RPT (RFC 8460) results are kept and reports sent. Immutable; build with {@link #builder()}
 * (every setter checks its range constant and throws {@link SettingException} naming the setting;
 * {@link Builder#build()} checks what only holds across settings). In James these come from the
 * {@code tlsrpt.*} keys of {@code conf/mta-sts.properties} (the setting names are the key names without
 * {@code tlsrpt.}); see {@code docs/configuration.md}.
 *
 * <table>
 *   <caption>Settings and defaults</caption>
 *   <tr><th>setting</th><th>default</th><th>why</th></tr>
 *   <tr><td>enabled</td><td>false</td><td>reports are mail and HTTPS requests to third parties in the
 *       name of this server's organisation, which the administrator has to name (organizationName,
 *       submitter, sender): nothing is sent before they choose to</td></tr>
 *   <tr><td>organizationName, submitter, sender</td><td>none</td><td>required when enabled (RFC 8460 §4.4
 *       organization-name, §5.3 TLS-Report-Submitter, the From of mailto: reports)</td></tr>
 *   <tr><td>contactInfo</td><td>empty = the sender address</td><td>RFC 8460 §4.4 contact-info</td></tr>
 *   <tr><td>sendDelayMin, sendDelayMax</td><td>15 min, 4 h</td><td>a day's reports are sent after 00:00
 *       UTC plus a random delay between them, so that receivers are not hit by every sender at midnight
 *       (RFC 8460 §4.1: "after some delay, perhaps several hours")</td></tr>
 *   <tr><td>retentionDays</td><td>30</td><td>days of results kept for the admin commands and resends</td></tr>
 *   <tr><td>sendSuccessOnlyReports</td><td>true</td><td>a domain owner in mode testing learns from a
 *       success-only report that enforce would be safe; silence cannot be told from a sender that does
 *       not report</td></tr>
 *   <tr><td>httpTimeout</td><td>30 s</td><td>bound on one https: report POST</td></tr>
 *   <tr><td>maxReportSize</td><td>5 MiB</td><td>the gzip-compressed report is not sent beyond it (as
 *       Stalwart)</td></tr>
 *   <tr><td>maxAttempts</td><td>4</td><td>sending attempts of one report before it is given up (RFC 8460 §5.5)</td></tr>
 *   <tr><td>retryDelay</td><td>1 h</td><td>between two attempts of one report</td></tr>
 *   <tr><td>ruaMaxFailures</td><td>3</td><td>consecutive failures of one rua before it is suppressed</td></tr>
 *   <tr><td>suppressFor</td><td>7 days</td><td>how long a suppressed rua gets no report</td></tr>
 *   <tr><td>flushInterval</td><td>30 s</td><td>how often results counted in memory are written to the store</td></tr>
 *   <tr><td>maxKeys, maxKeysPerDomain</td><td>100,000, 1,000</td><td>distinct (day, policy, failure
 *       detail) counters a node holds in memory, in all and per (day, policy domain): bounds memory under
 *       hostile receivers that vary their names and addresses</td></tr>
 *   <tr><td>leaseTtl</td><td>15 min</td><td>a claim of (day, domain) older than this is taken over (its
 *       node died mid-send)</td></tr>
 *   <tr><td>tick</td><td>5 min</td><td>how often the scheduler checks for due work (not a key: tests)</td></tr>
 * </table>
 */
public final class TlsRptSettings {
    // The allowed ranges, declared once: the builder checks them, the configuration reader documents them.
    /**
     * sendDelayMin/sendDelayMax: 0 up to (not including) 12 hours. The scheduler sends yesterday's reports
     * only, so a report must go out early enough that its retries ({@code retryDelay}, {@code maxAttempts})
     * still fall on the same day.
     */
    public static final DurationRange SEND_DELAY = DurationRange.nonNegative();
    /** The exclusive upper bound of the send delays. */
    public static final Duration SEND_DELAY_LIMIT = Duration.ofHours(12);
    /** retentionDays: at least 2 (yesterday's results must outlive their sending), at most 10 years. */
    public static final IntRange RETENTION_DAYS = IntRange.between(2, 3650);
    public static final DurationRange HTTP_TIMEOUT = DurationRange.positive();
    /** maxReportSize in bytes: 1 KiB to 64 MiB. */
    public static final IntRange MAX_REPORT_SIZE = IntRange.between(1024, 64 * 1024 * 1024);
    public static final IntRange MAX_ATTEMPTS = IntRange.between(1, 100);
    public static final DurationRange RETRY_DELAY = DurationRange.nonNegative();
    public static final IntRange RUA_MAX_FAILURES = IntRange.between(1, 100);
    public static final DurationRange SUPPRESS_FOR = DurationRange.nonNegative();
    public static final DurationRange FLUSH_INTERVAL = DurationRange.positive();
    public static final IntRange MAX_KEYS = IntRange.between(1, 10_000_000);
    public static final IntRange MAX_KEYS_PER_DOMAIN = IntRange.between(1, 10_000_000);
    public static final DurationRange LEASE_TTL = DurationRange.atLeast(Duration.ofSeconds(1));
    public static final DurationRange TICK = DurationRange.positive();
    /** What {@link Builder#organizationName} and {@link Builder#contactInfo} accept. */
    public static final String TEXT_RULE = "text of at most 200 characters without control characters";
    /** What {@link Builder#submitter} accepts. */
    public static final String DOMAIN_RULE = "a domain name";
    /** What {@link Builder#sender} accepts. */
    public static final String ADDRESS_RULE = "a mail address local@domain";
    private static final int TEXT_MAX = 200;

    private final boolean enabled;
    private final String organizationName;
    private final String contactInfo;
    private final String submitter;
    private final String sender;
    private final Duration sendDelayMin;
    private final Duration sendDelayMax;
    private final int retentionDays;
    private final boolean sendSuccessOnlyReports;
    private final Duration httpTimeout;
    private final int maxReportSize;
    private final int maxAttempts;
    private final Duration retryDelay;
    private final int ruaMaxFailures;
    private final Duration suppressFor;
    private final Duration flushInterval;
    private final int maxKeys;
    private final int maxKeysPerDomain;
    private final Duration leaseTtl;
    private final Duration tick;

    private TlsRptSettings(Builder b) {
        enabled = b.enabled;
        organizationName = b.organizationName;
        contactInfo = b.contactInfo.isEmpty() ? b.sender : b.contactInfo;
        submitter = b.submitter;
        sender = b.sender;
        sendDelayMin = b.sendDelayMin;
        sendDelayMax = b.sendDelayMax;
        retentionDays = b.retentionDays;
        sendSuccessOnlyReports = b.sendSuccessOnlyReports;
        httpTimeout = b.httpTimeout;
        maxReportSize = b.maxReportSize;
        maxAttempts = b.maxAttempts;
        retryDelay = b.retryDelay;
        ruaMaxFailures = b.ruaMaxFailures;
        suppressFor = b.suppressFor;
        flushInterval = b.flushInterval;
        maxKeys = b.maxKeys;
        maxKeysPerDomain = b.maxKeysPerDomain;
        leaseTtl = b.leaseTtl;
        tick = b.tick;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Every default: TLS-RPT off. */
    public static TlsRptSettings defaults() {
        return builder().build();
    }

    /** Whether results are recorded and reports sent. */
    public boolean enabled() {
        return enabled;
    }

    /** RFC 8460 §4.4 organization-name (empty when not enabled). */
    public String organizationName() {
        return organizationName;
    }

    /** RFC 8460 §4.4 contact-info: as configured, else the sender address. */
    public String contactInfo() {
        return contactInfo;
    }

    /** The submitting domain: RFC 8460 §5.3 TLS-Report-Submitter, the domain of the report-id. */
    public String submitter() {
        return submitter;
    }

    /** The From address of mailto: reports. */
    public String sender() {
        return sender;
    }

    public Duration sendDelayMin() {
        return sendDelayMin;
    }

    public Duration sendDelayMax() {
        return sendDelayMax;
    }

    public int retentionDays() {
        return retentionDays;
    }

    /** {@link #retentionDays()} as a duration: rows expire this long after the end of their UTC day. */
    public Duration retention() {
        return Duration.ofDays(retentionDays);
    }

    /** Whether a day without any failure is reported too. */
    public boolean sendSuccessOnlyReports() {
        return sendSuccessOnlyReports;
    }

    public Duration httpTimeout() {
        return httpTimeout;
    }

    /** Largest gzip-compressed report sent, in bytes. */
    public int maxReportSize() {
        return maxReportSize;
    }

    /** Sending attempts of one report before it is given up. */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** Between two attempts of one report. */
    public Duration retryDelay() {
        return retryDelay;
    }

    /** Consecutive failures of one rua before it is suppressed for {@link #suppressFor()}. */
    public int ruaMaxFailures() {
        return ruaMaxFailures;
    }

    public Duration suppressFor() {
        return suppressFor;
    }

    public Duration flushInterval() {
        return flushInterval;
    }

    /** Distinct counters one node holds in memory. */
    public int maxKeys() {
        return maxKeys;
    }

    /** Of {@link #maxKeys()}, per (day, policy domain). */
    public int maxKeysPerDomain() {
        return maxKeysPerDomain;
    }

    /** A claim of (day, domain) older than this is taken over by another node. */
    public Duration leaseTtl() {
        return leaseTtl;
    }

    /** How often the scheduler checks for due work. */
    public Duration tick() {
        return tick;
    }

    @Override
    public String toString() {
        return "TlsRptSettings{enabled=" + enabled + ", organizationName=" + organizationName + ", contactInfo="
                + contactInfo + ", submitter=" + submitter + ", sender=" + sender + ", sendDelay=" + sendDelayMin
                + ".." + sendDelayMax + ", retentionDays=" + retentionDays + ", sendSuccessOnlyReports="
                + sendSuccessOnlyReports + ", httpTimeout=" + httpTimeout + ", maxReportSize=" + maxReportSize
                + ", maxAttempts=" + maxAttempts + ", retryDelay=" + retryDelay + ", ruaMaxFailures=" + ruaMaxFailures
                + ", suppressFor=" + suppressFor + ", flushInterval=" + flushInterval + ", maxKeys=" + maxKeys
                + ", maxKeysPerDomain=" + maxKeysPerDomain + ", leaseTtl=" + leaseTtl + ", tick=" + tick + '}';
    }

    /** Builds {@link TlsRptSettings}; not thread-safe. */
    public static final class Builder {
        private boolean enabled;
        private String organizationName = "";
        private String contactInfo = "";
        private String submitter = "";
        private String sender = "";
        private Duration sendDelayMin = Duration.ofMinutes(15);
        private Duration sendDelayMax = Duration.ofHours(4);
        private int retentionDays = 30;
        private boolean sendSuccessOnlyReports = true;
        private Duration httpTimeout = Duration.ofSeconds(30);
        private int maxReportSize = 5 * 1024 * 1024;
        private int maxAttempts = 4;
        private Duration retryDelay = Duration.ofHours(1);
        private int ruaMaxFailures = 3;
        private Duration suppressFor = Duration.ofDays(7);
        private Duration flushInterval = Duration.ofSeconds(30);
        private int maxKeys = 100_000;
        private int maxKeysPerDomain = 1_000;
        private Duration leaseTtl = Duration.ofMinutes(15);
        private Duration tick = Duration.ofMinutes(5);

        private Builder() {
        }

        public Builder enabled(boolean on) {
            this.enabled = on;
            return this;
        }

        /** {@link #TEXT_RULE}; empty = not set. */
        public Builder organizationName(String name) {
            this.organizationName = text("organizationName", name);
            return this;
        }

        /** {@link #TEXT_RULE}; empty = the sender address. */
        public Builder contactInfo(String contact) {
            this.contactInfo = text("contactInfo", contact);
            return this;
        }

        /** {@link #DOMAIN_RULE}, normalized to its A-label lower-case form; empty = not set. */
        public Builder submitter(String domain) {
            this.submitter = domain(Objects.requireNonNull(domain).trim(), "submitter");
            return this;
        }

        /** {@link #ADDRESS_RULE} (the domain normalized); empty = not set. */
        public Builder sender(String address) {
            String a = Objects.requireNonNull(address).trim();
            if (a.isEmpty()) {
                this.sender = "";
                return this;
            }
            int at = a.lastIndexOf('@');
            String local = at < 0 ? "" : a.substring(0, at);
            if (at <= 0 || local.length() > 64 || !localPartOk(local)) {
                throw new SettingException("sender", "must be " + ADDRESS_RULE);
            }
            this.sender = local + "@" + domain(a.substring(at + 1), "sender");
            return this;
        }

        /** {@link #SEND_DELAY}, less than 12 hours. */
        public Builder sendDelayMin(Duration d) {
            this.sendDelayMin = delay("sendDelayMin", d);
            return this;
        }

        /** {@link #SEND_DELAY}, less than 12 hours. */
        public Builder sendDelayMax(Duration d) {
            this.sendDelayMax = delay("sendDelayMax", d);
            return this;
        }

        public Builder retentionDays(int days) {
            this.retentionDays = RETENTION_DAYS.check("retentionDays", days);
            return this;
        }

        public Builder sendSuccessOnlyReports(boolean on) {
            this.sendSuccessOnlyReports = on;
            return this;
        }

        public Builder httpTimeout(Duration d) {
            this.httpTimeout = HTTP_TIMEOUT.check("httpTimeout", d);
            return this;
        }

        public Builder maxReportSize(int bytes) {
            this.maxReportSize = MAX_REPORT_SIZE.check("maxReportSize", bytes);
            return this;
        }

        public Builder maxAttempts(int n) {
            this.maxAttempts = MAX_ATTEMPTS.check("maxAttempts", n);
            return this;
        }

        public Builder retryDelay(Duration d) {
            this.retryDelay = RETRY_DELAY.check("retryDelay", d);
            return this;
        }

        public Builder ruaMaxFailures(int n) {
            this.ruaMaxFailures = RUA_MAX_FAILURES.check("ruaMaxFailures", n);
            return this;
        }

        public Builder maxKeys(int n) {
            this.maxKeys = MAX_KEYS.check("maxKeys", n);
            return this;
        }

        public Builder maxKeysPerDomain(int n) {
            this.maxKeysPerDomain = MAX_KEYS_PER_DOMAIN.check("maxKeysPerDomain", n);
            return this;
        }

        public Builder leaseTtl(Duration d) {
            this.leaseTtl = LEASE_TTL.check("leaseTtl", d);
            return this;
        }

        public Builder tick(Duration d) {
            this.tick = TICK.check("tick", d);
            return this;
        }

        public Builder suppressFor(Duration d) {
            this.suppressFor = SUPPRESS_FOR.check("suppressFor", d);
            return this;
        }

        public Builder flushInterval(Duration d) {
            this.flushInterval = FLUSH_INTERVAL.check("flushInterval", d);
            return this;
        }

        /**
         * @throws SettingException naming the setting when enabled without organizationName, submitter
         *         or sender ({@code "must be set when enabled"}), or when sendDelayMin exceeds sendDelayMax
         */
        public TlsRptSettings build() {
            if (sendDelayMin.compareTo(sendDelayMax) > 0) {
                throw new SettingException("sendDelayMin", "must not exceed sendDelayMax (" + sendDelayMax + ")");
            }
            if (enabled) {
                requireSet("organizationName", organizationName);
                requireSet("submitter", submitter);
                requireSet("sender", sender);
            }
            return new TlsRptSettings(this);
        }

        private static void requireSet(String setting, String value) {
            if (value.isEmpty()) {
                throw new SettingException(setting, "must be set when enabled");
            }
        }

        private static Duration delay(String setting, Duration d) {
            SEND_DELAY.check(setting, d);
            if (d.compareTo(SEND_DELAY_LIMIT) >= 0) {
                throw new SettingException(setting, "must be " + SEND_DELAY.describe() + " and less than 12h (retries of a day's report must fall on the same day)");
            }
            return d;
        }

        private static String text(String setting, String value) {
            String t = Objects.requireNonNull(value).trim();
            // RFC 8460 §4.4 fields reach the JSON and a mail header: no control or bidi characters
            if (t.length() > TEXT_MAX || !SafeText.of(t, TEXT_MAX + 1).equals(t)) {
                throw new SettingException(setting, "must be " + TEXT_RULE);
            }
            return t;
        }

        private static String domain(String value, String setting) {
            if (value.isEmpty()) {
                return "";
            }
            try {
                String d = Domains.normalize(value);
                if (d.indexOf('.') < 0) {
                    throw new IllegalArgumentException("no dot");
                }
                return d;
            } catch (IllegalArgumentException e) {
                throw new SettingException(setting, "must be " + ("sender".equals(setting) ? ADDRESS_RULE : DOMAIN_RULE));
            }
        }

        /** RFC 5322 dot-atom text: no spaces, quotes, brackets or controls (quoted local parts not supported). */
        private static boolean localPartOk(String local) {
            if (local.startsWith(".") || local.endsWith(".") || local.contains("..")) {
                return false;
            }
            for (int i = 0; i < local.length(); i++) {
                char c = local.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || "!#$%&'*+-/=?^_`{|}~.".indexOf(c) >= 0;
                if (!ok) {
                    return false;
                }
            }
            return true;
        }
    }
}
