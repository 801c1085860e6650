package dev.jamesmtasts.james;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import javax.mail.MessagingException;

import org.apache.mailet.MailetConfig;

import dev.jamesmtasts.mtasts.Domains;
import dev.jamesmtasts.mtasts.MxPattern;
import dev.jamesmtasts.mtasts.StsPolicy;
import dev.jamesmtasts.mtasts.StsSyntaxException;

/**
 * The MTA-STS mailet parameters of {@link MtaStsRemoteDelivery}, parsed and checked at init. A wrong
 * value fails the mailet's init with a message naming the parameter (James then refuses to start).
 */
final class MtaStsMailetSettings {
    static final String MODE = "mtaStsMode";
    static final String OVERRIDES = "mtaStsOverrides";
    static final String ON_LOOKUP_ERROR = "mtaStsOnLookupError";
    static final String TRUST_STORE = "mtaStsTrustStore";
    static final String TRUST_STORE_PASSWORD = "mtaStsTrustStorePassword";
    static final String TRUST_STORE_TYPE = "mtaStsTrustStoreType";
    static final String DANE = "dane";
    static final String DANE_OVERRIDES = "daneOverrides";

    /** Local overrides apply a policy of a year: they are configuration, not cached data. */
    private static final long LOCAL_MAX_AGE = StsPolicy.MAX_AGE_LIMIT;

    /** The global switch. */
    enum Mode {
        /** Apply published policies as published (default). */
        FOLLOW,
        /** Treat every policy as {@code testing}: deliver as usual, report what would fail. */
        REPORT,
        /** Do not look policies up at all. */
        OFF
    }

    /** What to do when the lookup ends in {@code ERROR} (nothing known, nothing cached). */
    enum OnLookupError { DEFER, DELIVER }

    /** The DANE switch ({@code dane}) and the per-domain DANE overrides ({@code daneOverrides}). */
    enum Dane {
        /** Apply DANE (RFC 7672) where the domain's DNSSEC-signed records ask for it (default of {@code dane}). */
        FOLLOW,
        /** Never look TLSA records up. */
        OFF,
        /**
         * Override only: every MX host must be authenticated by usable TLSA records; a domain or host
         * without them is not delivered to (deferred, RFC 8460 {@code dane-required}).
         */
        REQUIRE
    }

    /** One per-domain override. */
    static final class DomainOverride {
        enum Kind { OFF, TESTING, ENFORCE }

        /** The domain overridden, normalized (lower-case A-labels). */
        final String domain;
        final Kind kind;
        /** A locally defined policy (enforce always, testing when MX patterns were given), or null. */
        final StsPolicy localPolicy;

        DomainOverride(String domain, Kind kind, StsPolicy localPolicy) {
            this.domain = domain;
            this.kind = kind;
            this.localPolicy = localPolicy;
        }

        @Override
        public String toString() {
            return kind.name().toLowerCase(Locale.ROOT) + (localPolicy == null ? "" : ":" + localPolicy.mx());
        }
    }

    final Mode mode;
    final Map<String, DomainOverride> overrides;
    final OnLookupError onLookupError;
    final KeyStore trustStore;
    final Dane dane;
    /** The {@code daneOverrides} by normalized domain. */
    final Map<String, Dane> daneOverrides;

    private MtaStsMailetSettings(Mode mode, Map<String, DomainOverride> overrides, OnLookupError onLookupError,
                                 KeyStore trustStore, Dane dane, Map<String, Dane> daneOverrides) {
        this.mode = mode;
        this.overrides = overrides;
        this.onLookupError = onLookupError;
        this.trustStore = trustStore;
        this.dane = dane;
        this.daneOverrides = daneOverrides;
    }

    /** Whether any domain may get DANE: the switch, or an override that turns it on. */
    boolean daneUsed() {
        return dane == Dane.FOLLOW || daneOverrides.containsValue(Dane.FOLLOW) || daneOverrides.containsValue(Dane.REQUIRE);
    }

    static MtaStsMailetSettings parse(MailetConfig config) throws MessagingException {
        Mode mode = parseEnum(config, MODE, Mode.class, Mode.FOLLOW);
        OnLookupError onError = parseEnum(config, ON_LOOKUP_ERROR, OnLookupError.class, OnLookupError.DEFER);
        Map<String, DomainOverride> overrides = parseOverrides(config.getInitParameter(OVERRIDES));
        KeyStore trust = loadTrustStore(config.getInitParameter(TRUST_STORE),
                config.getInitParameter(TRUST_STORE_PASSWORD), config.getInitParameter(TRUST_STORE_TYPE));
        Dane dane = parseEnum(config, DANE, Dane.class, Dane.FOLLOW);
        if (dane == Dane.REQUIRE) {
            throw new MessagingException("mailet parameter " + DANE + ": 'require' is for single domains "
                    + "(daneOverrides), the switch is follow|off");
        }
        Map<String, Dane> daneOverrides = parseDaneOverrides(config.getInitParameter(DANE_OVERRIDES));
        return new MtaStsMailetSettings(mode, Map.copyOf(overrides), onError, trust, dane, Map.copyOf(daneOverrides));
    }

    /** {@code domain=off; domain=follow; domain=require}, entries separated by ';' or new lines. */
    static Map<String, Dane> parseDaneOverrides(String text) throws MessagingException {
        return parseEntries(DANE_OVERRIDES, text, "off|follow|require", (domain, spec) -> {
            String word = spec.toUpperCase(Locale.ROOT);
            for (Dane d : Dane.values()) {
                if (d.name().equals(word)) {
                    return d;
                }
            }
            throw new MessagingException("mailet parameter " + DANE_OVERRIDES + ": " + domain + "='" + spec
                    + "': expected off, follow or require");
        });
    }

    /** Reads the value of one {@code domain=spec} entry; throws naming the parameter when it is wrong. */
    @FunctionalInterface
    private interface EntryParser<T> {
        T parse(String domain, String spec) throws MessagingException;
    }

    /**
     * The {@code domain=spec} entries of {@code parameter} (separated by ';' or new lines), by normalized
     * domain; a missing '=', a bad domain or a domain given twice fails naming the parameter.
     */
    private static <T> Map<String, T> parseEntries(String parameter, String text, String syntax, EntryParser<T> parser)
            throws MessagingException {
        Map<String, T> result = new HashMap<>();
        if (text == null) {
            return result;
        }
        for (String entry : text.split("[;\\n]")) {
            String e = entry.trim();
            if (e.isEmpty()) {
                continue;
            }
            int eq = e.indexOf('=');
            if (eq < 0) {
                throw new MessagingException("mailet parameter " + parameter + ": '" + e + "' is not domain=" + syntax);
            }
            String domain;
            try {
                domain = Domains.normalize(e.substring(0, eq).trim());
            } catch (IllegalArgumentException ex) {
                throw new MessagingException("mailet parameter " + parameter + ": " + ex.getMessage());
            }
            if (result.put(domain, parser.parse(domain, e.substring(eq + 1).trim())) != null) {
                throw new MessagingException("mailet parameter " + parameter + ": " + domain + " appears twice");
            }
        }
        return result;
    }

    DomainOverride overrideFor(String domain) {
        return overrideFor(overrides, domain);
    }

    /** The override of {@code domain} (as written in the address) in a map keyed by normalized domain. */
    static <T> T overrideFor(Map<String, T> overrides, String domain) {
        if (overrides.isEmpty()) {
            return null;
        }
        String key;
        try {
            key = Domains.normalize(domain);
        } catch (IllegalArgumentException e) {
            key = domain.toLowerCase(Locale.ROOT);
        }
        return overrides.get(key);
    }

    private static <E extends Enum<E>> E parseEnum(MailetConfig config, String name, Class<E> type, E dflt)
            throws MessagingException {
        String v = config.getInitParameter(name);
        if (v == null || v.trim().isEmpty()) {
            return dflt;
        }
        try {
            return Enum.valueOf(type, v.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            StringBuilder allowed = new StringBuilder();
            for (E c : type.getEnumConstants()) {
                allowed.append(allowed.length() == 0 ? "" : "|").append(c.name().toLowerCase(Locale.ROOT));
            }
            throw new MessagingException("mailet parameter " + name + ": '" + v + "' is not one of " + allowed);
        }
    }

    /**
     * {@code domain=off; domain=testing; domain=testing:mx,...; domain=enforce:mx,...}; entries are
     * separated by ';' or new lines, MX patterns by ',' (RFC 8461 §3.2 {@code mx} syntax).
     */
    static Map<String, DomainOverride> parseOverrides(String text) throws MessagingException {
        return parseEntries(OVERRIDES, text, "off|testing[:mx,...]|enforce:mx,...", (domain, spec) -> {
            int colon = spec.indexOf(':');
            String kind = (colon < 0 ? spec : spec.substring(0, colon)).trim().toLowerCase(Locale.ROOT);
            List<MxPattern> mx = colon < 0 ? List.of() : parseMx(domain, spec.substring(colon + 1));
            switch (kind) {
                case "off":
                    if (!mx.isEmpty()) {
                        throw new MessagingException("mailet parameter " + OVERRIDES + ": " + domain
                                + "=off takes no mx patterns");
                    }
                    return new DomainOverride(domain, DomainOverride.Kind.OFF, null);
                case "testing":
                    return new DomainOverride(domain, DomainOverride.Kind.TESTING,
                            mx.isEmpty() ? null : StsPolicy.of(StsPolicy.Mode.TESTING, mx, LOCAL_MAX_AGE));
                case "enforce":
                    if (mx.isEmpty()) {
                        throw new MessagingException("mailet parameter " + OVERRIDES + ": " + domain
                                + "=enforce needs mx patterns, e.g. enforce:mx1." + domain + ",*.mx." + domain);
                    }
                    return new DomainOverride(domain, DomainOverride.Kind.ENFORCE,
                            StsPolicy.of(StsPolicy.Mode.ENFORCE, mx, LOCAL_MAX_AGE));
                default:
                    throw new MessagingException("mailet parameter " + OVERRIDES + ": " + domain + "='" + spec
                            + "': expected off, testing, testing:mx,... or enforce:mx,...");
            }
        });
    }

    private static List<MxPattern> parseMx(String domain, String list) throws MessagingException {
        List<MxPattern> mx = new ArrayList<>();
        for (String p : list.split(",")) {
            String t = p.trim();
            if (t.isEmpty()) {
                continue;
            }
            try {
                mx.add(MxPattern.parse(t));
            } catch (StsSyntaxException e) {
                throw new MessagingException("mailet parameter " + OVERRIDES + ": " + domain + ": " + e.getMessage());
            }
        }
        return mx;
    }

    private static KeyStore loadTrustStore(String path, String password, String type) throws MessagingException {
        if (path == null || path.trim().isEmpty()) {
            return null;
        }
        String t = type == null || type.trim().isEmpty() ? "PKCS12" : type.trim();
        try (InputStream in = Files.newInputStream(Path.of(path.trim()))) {
            KeyStore ks = KeyStore.getInstance(t);
            ks.load(in, password == null ? null : password.toCharArray());
            return ks;
        } catch (IOException | GeneralSecurityException e) {
            throw new MessagingException("mailet parameter " + TRUST_STORE + ": cannot load " + t + " trust store '"
                    + path + "': " + e.getMessage());
        }
    }
}
