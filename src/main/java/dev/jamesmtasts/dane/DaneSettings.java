package dev.jamesmtasts.dane;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import dev.jamesmtasts.mtasts.DnssecResolver;
import dev.jamesmtasts.mtasts.DurationRange;
import dev.jamesmtasts.mtasts.IntRange;
import dev.jamesmtasts.mtasts.SettingException;

/**
 * The settings of DANE's DNSSEC-validated lookups ({@link DaneLookups}): which recursive resolvers to
 * ask, the time-outs, the trust anchors, the in-memory cache and the self-check interval. Immutable;
 * the builder checks each value against its range constant (declared once here, documented by the
 * configuration reader).
 */
public final class DaneSettings {
    /** Default bound on one query to one server. */
    public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(5);
    /** Default bound on one whole validated lookup (the DS/DNSKEY chase from the anchor down included). */
    public static final Duration DEFAULT_LOOKUP_TIMEOUT = Duration.ofSeconds(10);
    /** Default number of answers kept in memory. */
    public static final int DEFAULT_CACHE_SIZE = 10_000;
    /** Default longest time an answer is reused, whatever its TTL. */
    public static final Duration DEFAULT_CACHE_MAX_TTL = Duration.ofHours(1);
    /** Default time a bogus answer is reused (RFC 4035 §4.7: cache bogus data only for a limited time). */
    public static final Duration DEFAULT_BOGUS_TTL = Duration.ofSeconds(60);
    /** Default time between two self-checks of DNSSEC validation. */
    public static final Duration DEFAULT_SELF_CHECK_INTERVAL = Duration.ofHours(1);

    /** {@link #queryTimeout()}: greater than zero. */
    public static final DurationRange QUERY_TIMEOUT = DurationRange.positive();
    /** {@link #lookupTimeout()}: greater than zero. */
    public static final DurationRange LOOKUP_TIMEOUT = DurationRange.positive();
    /** {@link #cacheSize()}: 1 to 10 million answers. */
    public static final IntRange CACHE_SIZE = IntRange.between(1, 10_000_000);
    /** {@link #cacheMaxTtl()}: 0 (no cache) or more. */
    public static final DurationRange CACHE_MAX_TTL = DurationRange.nonNegative();
    /** {@link #bogusTtl()}: 0 (never reused) or more. */
    public static final DurationRange BOGUS_TTL = DurationRange.nonNegative();
    /** {@link #selfCheckInterval()}: 0 (only at start) or more. */
    public static final DurationRange SELF_CHECK_INTERVAL = DurationRange.nonNegative();

    private final List<InetSocketAddress> resolvers;
    private final Duration queryTimeout;
    private final Duration lookupTimeout;
    private final String trustAnchors;
    private final Path trustAnchorsFile;
    private final int cacheSize;
    private final Duration cacheMaxTtl;
    private final Duration bogusTtl;
    private final Duration selfCheckInterval;

    private DaneSettings(Builder b) {
        this.resolvers = List.copyOf(b.resolvers);
        this.queryTimeout = b.queryTimeout;
        this.lookupTimeout = b.lookupTimeout;
        this.trustAnchors = b.trustAnchors;
        this.trustAnchorsFile = b.trustAnchorsFile;
        this.cacheSize = b.cacheSize;
        this.cacheMaxTtl = b.cacheMaxTtl;
        this.bogusTtl = b.bogusTtl;
        this.selfCheckInterval = b.selfCheckInterval;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** All defaults: the system's resolvers, the IANA root anchors, 5 s / 10 s, 10000 answers for at most 1 h. */
    public static DaneSettings defaults() {
        return builder().build();
    }

    /** The recursive resolvers to ask; empty: the caller's default (the MTA-STS lookups' servers, else the system's). */
    public List<InetSocketAddress> resolvers() {
        return resolvers;
    }

    public Duration queryTimeout() {
        return queryTimeout;
    }

    public Duration lookupTimeout() {
        return lookupTimeout;
    }

    /** The trust anchors, DS or DNSKEY records in zone-file form (default: the root's, shipped in the jar). */
    public String trustAnchors() {
        return trustAnchors;
    }

    /** The file the trust anchors were read from, or null for the shipped root anchors. */
    public Path trustAnchorsFile() {
        return trustAnchorsFile;
    }

    public int cacheSize() {
        return cacheSize;
    }

    public Duration cacheMaxTtl() {
        return cacheMaxTtl;
    }

    public Duration bogusTtl() {
        return bogusTtl;
    }

    public Duration selfCheckInterval() {
        return selfCheckInterval;
    }

    /** A validating resolver with these settings, asking {@code fallback} when no resolver is set here (empty: the system's). */
    public DnssecResolver resolver(List<InetSocketAddress> fallback) {
        return new DnssecResolver(resolvers.isEmpty() ? fallback : resolvers, queryTimeout, lookupTimeout, trustAnchors);
    }

    /** Builds {@link DaneSettings}; every setter checks its range and throws {@link SettingException}. */
    public static final class Builder {
        private final List<InetSocketAddress> resolvers = new ArrayList<>();
        private Duration queryTimeout = DEFAULT_QUERY_TIMEOUT;
        private Duration lookupTimeout = DEFAULT_LOOKUP_TIMEOUT;
        private String trustAnchors;
        private Path trustAnchorsFile;
        private int cacheSize = DEFAULT_CACHE_SIZE;
        private Duration cacheMaxTtl = DEFAULT_CACHE_MAX_TTL;
        private Duration bogusTtl = DEFAULT_BOGUS_TTL;
        private Duration selfCheckInterval = DEFAULT_SELF_CHECK_INTERVAL;

        private Builder() {
        }

        /** Replaces the resolvers (IP literals; {@code host:port} already parsed). */
        public Builder resolvers(List<InetSocketAddress> list) {
            resolvers.clear();
            for (InetSocketAddress a : list) {
                if (a.isUnresolved()) {
                    InetSocketAddress resolved = new InetSocketAddress(a.getHostString(), a.getPort());
                    if (resolved.isUnresolved()) {
                        throw new SettingException("resolvers", "must be IP addresses: " + a.getHostString()
                                + " has no address");
                    }
                    a = resolved;
                }
                resolvers.add(a);
            }
            return this;
        }

        public Builder queryTimeout(Duration d) {
            this.queryTimeout = QUERY_TIMEOUT.check("queryTimeout", d);
            return this;
        }

        public Builder lookupTimeout(Duration d) {
            this.lookupTimeout = LOOKUP_TIMEOUT.check("lookupTimeout", d);
            return this;
        }

        /** Trust anchors as text (DS or DNSKEY records); checked now. */
        public Builder trustAnchors(String text) {
            DnssecResolver.checkAnchors(text);
            this.trustAnchors = text;
            this.trustAnchorsFile = null;
            return this;
        }

        /** Trust anchors read from {@code file} (DS or DNSKEY records); read and checked now. */
        public Builder trustAnchorsFile(Path file) {
            Objects.requireNonNull(file, "file");
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException e) {
                throw new SettingException("trustAnchors", "must be a readable file of DS or DNSKEY records ("
                        + e.getClass().getSimpleName() + ")");
            }
            trustAnchors(text);
            this.trustAnchorsFile = file;
            return this;
        }

        public Builder cacheSize(int n) {
            this.cacheSize = CACHE_SIZE.check("cacheSize", n);
            return this;
        }

        public Builder cacheMaxTtl(Duration d) {
            this.cacheMaxTtl = CACHE_MAX_TTL.check("cacheMaxTtl", d);
            return this;
        }

        public Builder bogusTtl(Duration d) {
            this.bogusTtl = BOGUS_TTL.check("bogusTtl", d);
            return this;
        }

        public Builder selfCheckInterval(Duration d) {
            this.selfCheckInterval = SELF_CHECK_INTERVAL.check("selfCheckInterval", d);
            return this;
        }

        public DaneSettings build() {
            if (trustAnchors == null) {
                trustAnchors = DnssecResolver.rootTrustAnchors();
            }
            return new DaneSettings(this);
        }
    }
}
