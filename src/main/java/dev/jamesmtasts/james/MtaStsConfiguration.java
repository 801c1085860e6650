package dev.jamesmtasts.james;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.commons.configuration2.Configuration;

import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.dane.DaneSettings;
import dev.jamesmtasts.mtasts.MtaStsSettings;
import dev.jamesmtasts.mtasts.SettingException;
import dev.jamesmtasts.tlsrpt.TlsRptSettings;

/**
 * The shared component's settings, read once from {@code conf/mta-sts.properties} (James's
 * {@code PropertiesProvider}, name {@code mta-sts}): the resolver's {@link MtaStsSettings}, the cache's
 * {@link CacheSettings}, and what only the James side uses (Cassandra session, refresher on/off).
 *
 * <p>The keys, their defaults and allowed values are the table {@link MtaStsKeys#ALL}; see
 * {@code docs/configuration.md} (generated from it). Every key is optional. Each value is parsed here
 * and range-checked by the settings builder it feeds (one check, declared next to the setting); either
 * failure, and an unknown key (a typo would otherwise be silently ignored), fails James's start with an
 * {@link IllegalArgumentException} naming the key the admin typed, the value, what is allowed and the
 * default, e.g. {@code mta-sts.properties: cache.nearCacheSize=0: must be at least 1. Fix: ...}.
 */
public final class MtaStsConfiguration {
    static final String FILE = "mta-sts.properties";

    /**
     * Where the policy cache's Cassandra session comes from: property {@code cassandra.useServerSession}.
     * The property keeps the words admins already wrote: {@code auto}, {@code true} ({@link #JAMES}),
     * {@code false} ({@link #OWN}).
     */
    public enum SessionSource {
        /** James's own session when the server binds one (the distributed app), else our own. */
        AUTO,
        /** James's own session; the start fails when the server has none (the memory app). */
        JAMES,
        /** Always our own session, opened to {@code cassandra.contactPoints}. */
        OWN
    }

    /** Every key with its default text, in file order (derived from {@link MtaStsKeys#ALL}). */
    static final Map<String, String> DEFAULTS;

    static {
        Map<String, String> d = new LinkedHashMap<>();
        for (ConfigKey k : MtaStsKeys.ALL) {
            if (d.put(k.name(), k.defaultValue()) != null) {
                throw new ExceptionInInitializerError("key listed twice: " + k.name());
            }
        }
        DEFAULTS = Collections.unmodifiableMap(d);
    }

    /** The values being read: the builders the keys feed, and the James-side values. */
    static final class Values {
        final MtaStsSettings.Builder resolver = MtaStsSettings.builder();
        final CacheSettings.Builder cache = CacheSettings.builder();
        final TlsRptSettings.Builder tlsRpt = TlsRptSettings.builder();
        final DaneSettings.Builder dane = DaneSettings.builder();
        List<InetSocketAddress> contactPoints;
        String localDatacenter;
        SessionSource sessionSource;
        boolean refresherEnabled;
        String trustStore;
        String trustStorePassword;
        String trustStoreType;
    }

    private final MtaStsSettings resolverSettings;
    private final CacheSettings cacheSettings;
    private final TlsRptSettings tlsRptSettings;
    private final DaneSettings daneSettings;
    private final List<InetSocketAddress> contactPoints;
    private final String localDatacenter;
    private final SessionSource sessionSource;
    private final boolean refresherEnabled;
    private final String trustStoreType;

    private MtaStsConfiguration(Map<String, String> given) {
        Values v = new Values();
        for (ConfigKey key : MtaStsKeys.ALL) {
            String text = given.getOrDefault(key.name(), key.defaultValue());
            try {
                key.apply(v, text);
            } catch (SettingException e) {
                throw invalid(key, text, e.requirement());
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw invalid(key, text, e.getMessage());
            }
        }
        if (!v.trustStore.isEmpty()) {
            v.resolver.trustStore(Path.of(v.trustStore),
                    v.trustStorePassword.isEmpty() ? null : v.trustStorePassword.toCharArray());
        }
        resolverSettings = v.resolver.build();
        tlsRptSettings = tlsRpt(v, given);
        cacheSettings = v.cache.build();
        daneSettings = v.dane.build();
        contactPoints = v.contactPoints;
        localDatacenter = v.localDatacenter;
        sessionSource = v.sessionSource;
        refresherEnabled = v.refresherEnabled;
        trustStoreType = v.trustStoreType.isEmpty() ? "PKCS12" : v.trustStoreType;
    }

    /** All defaults (no file). */
    public static MtaStsConfiguration defaults() {
        return new MtaStsConfiguration(Map.of());
    }

    /**
     * Reads a commons-configuration2 view of {@code mta-sts.properties}.
     *
     * @throws IllegalArgumentException naming the first unknown key or wrong value
     */
    public static MtaStsConfiguration from(Configuration conf) {
        Map<String, String> values = new LinkedHashMap<>();
        for (Iterator<String> it = conf.getKeys(); it.hasNext(); ) {
            String key = it.next();
            // commons-configuration splits on ',' only when told to; join lists back to their text.
            String[] parts = conf.getStringArray(key);
            values.put(key, parts.length == 0 ? "" : String.join(",", parts).trim());
        }
        return from(values);
    }

    /**
     * Reads {@code key=value} pairs (tests, tools).
     *
     * @throws IllegalArgumentException naming the first unknown key or wrong value
     */
    public static MtaStsConfiguration from(Map<String, String> properties) {
        Map<String, String> values = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : properties.entrySet()) {
            if (!DEFAULTS.containsKey(e.getKey())) {
                throw new IllegalArgumentException(FILE + ": unknown key '" + e.getKey() + "'. Fix: check its spelling "
                        + "(keys are case-sensitive) or delete the line; the keys are " + String.join(", ", DEFAULTS.keySet()));
            }
            values.put(e.getKey(), e.getValue() == null ? "" : e.getValue().trim());
        }
        return new MtaStsConfiguration(values);
    }

    /** The keys, their defaults, allowed values and meanings, in file order. */
    public static List<ConfigKey> keys() {
        return MtaStsKeys.ALL;
    }

    /** Parses {@code 500ms}, {@code 5s}, {@code 10m}, {@code 1h}, {@code 2d}, or ISO-8601 ({@code PT5M}, {@code P2D}). */
    public static Duration parseDuration(String text) {
        String t = text == null ? "" : text.trim();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty duration");
        }
        if (t.charAt(0) == 'P' || t.charAt(0) == 'p') {
            try {
                return Duration.parse(t.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("not an ISO-8601 duration: " + t);
            }
        }
        int i = 0;
        while (i < t.length() && Character.isDigit(t.charAt(i))) {
            i++;
        }
        if (i == 0 || i > 12) {
            throw new IllegalArgumentException("expected a number followed by ms, s, m, h or d: " + t);
        }
        long n = Long.parseLong(t.substring(0, i));
        String unit = t.substring(i).trim().toLowerCase(Locale.ROOT);
        switch (unit) {
            case "ms":
                return Duration.ofMillis(n);
            case "s":
                return Duration.ofSeconds(n);
            case "m":
                return Duration.ofMinutes(n);
            case "h":
                return Duration.ofHours(n);
            case "d":
                return Duration.ofDays(n);
            default:
                throw new IllegalArgumentException("unknown unit '" + unit + "' in " + t + " (use ms, s, m, h, d)");
        }
    }

    /**
     * The TLS-RPT settings; what only holds across keys (enabled needs organizationName, submitter and
     * sender; sendDelayMin at most sendDelayMax) fails naming the key to set and the fix.
     */
    private static TlsRptSettings tlsRpt(Values v, Map<String, String> given) {
        try {
            return v.tlsRpt.build();
        } catch (SettingException e) {
            String name = "tlsrpt." + e.setting();
            ConfigKey key = MtaStsKeys.ALL.stream().filter(k -> k.name().equals(name)).findFirst()
                    .orElseThrow(() -> e);
            String value = given.getOrDefault(name, key.defaultValue());
            if ("sendDelayMin".equals(e.setting())) {
                throw invalid(key, value, e.requirement());
            }
            throw new IllegalArgumentException(FILE + ": tlsrpt.enabled=true needs " + name + ", which is "
                    + (value.isEmpty() ? "empty" : value) + ". Fix: set " + name + " to " + key.allowed()
                    + ", or set tlsrpt.enabled=false");
        }
    }

    /** {@code mta-sts.properties: KEY=VALUE: WHAT IS WRONG. Fix: ...}. */
    private static IllegalArgumentException invalid(ConfigKey key, String value, String problem) {
        String def = key.defaultValue().isEmpty() ? "empty" : key.defaultValue();
        return new IllegalArgumentException(FILE + ": " + key.name() + "=" + value + ": " + problem + ". Fix: set "
                + key.name() + " to " + key.allowed() + ", or delete the line for the default (" + def + ")");
    }

    /** The resolver's settings, from the {@code dns.*} and {@code fetch.*} keys. */
    public MtaStsSettings resolverSettings() {
        return resolverSettings;
    }

    /** The cache's settings, from {@code cassandra.keyspace}, {@code cassandra.replicationFactor}, {@code cache.*} and {@code refresher.*}. */
    public CacheSettings cacheSettings() {
        return cacheSettings;
    }

    /** {@code cassandra.contactPoints}, unresolved. */
    public List<InetSocketAddress> cassandraContactPoints() {
        return contactPoints;
    }

    /** {@code cassandra.localDatacenter}. */
    public String cassandraLocalDatacenter() {
        return localDatacenter;
    }

    /** {@code cassandra.useServerSession}. */
    public SessionSource cassandraSessionSource() {
        return sessionSource;
    }

    /** The TLS-RPT settings, from the {@code tlsrpt.*} keys. */
    public TlsRptSettings tlsRptSettings() {
        return tlsRptSettings;
    }

    /** The DANE lookups' settings, from the {@code dane.*} keys. */
    public DaneSettings daneSettings() {
        return daneSettings;
    }

    /** {@code refresher.enabled}. */
    public boolean refresherEnabled() {
        return refresherEnabled;
    }

    /** {@code fetch.trustStoreType} as declared (empty = PKCS12); informational, the type is recognised from the file. */
    public String fetchTrustStoreType() {
        return trustStoreType;
    }
}
