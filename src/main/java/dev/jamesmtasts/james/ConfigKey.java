package dev.jamesmtasts.james;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.ObjIntConsumer;

import dev.jamesmtasts.mtasts.DurationRange;
import dev.jamesmtasts.mtasts.IntRange;

/**
 * One key of {@code conf/mta-sts.properties}, one row of {@link MtaStsKeys#ALL}: its name as the admin
 * types it, its default (read from the settings builder's own default where there is one), what values
 * it allows (from the builder's range constant), what it means, and where its value goes. Parsing turns
 * the text into a value; the range check is the builder's ({@link dev.jamesmtasts.mtasts.SettingException}),
 * and {@link MtaStsConfiguration} reports either failure under this key. {@code docs/configuration.md}
 * and the comments of {@code james-conf/mta-sts.properties} are generated from these rows
 * (by {@code ConfigurationDocTest}, which fails when they are out of date).
 */
public final class ConfigKey {
    /** Stores a key's text into the settings being built; throws IllegalArgumentException saying what is wrong. */
    @FunctionalInterface
    interface Setter {
        void set(MtaStsConfiguration.Values values, String text);
    }

    /** How durations are written: the syntax of {@link MtaStsConfiguration#parseDuration}. */
    static final String DURATION_SYNTAX = "500ms, 5s, 10m, 1h, 2d or ISO-8601 (PT5M)";
    private static final String DURATION_UNITS = "ms, s, m, h, d or ISO-8601";

    private final String name;
    private final String defaultValue;
    private final String allowed;
    private final String meaning;
    private final Setter setter;

    ConfigKey(String name, String defaultValue, String allowed, String meaning, Setter setter) {
        this.name = name;
        this.defaultValue = defaultValue;
        this.allowed = allowed;
        this.meaning = meaning;
        this.setter = setter;
    }

    /** The key as the admin types it, e.g. {@code cache.nearCacheSize}. */
    public String name() {
        return name;
    }

    /** The default as written in the properties file ({@code ""} for an empty value). */
    public String defaultValue() {
        return defaultValue;
    }

    /** The allowed values in words, e.g. {@code an integer, at least 1} (durations: see {@link #DURATION_SYNTAX}). */
    public String allowed() {
        return allowed;
    }

    /** What the key means (sentences). */
    public String meaning() {
        return meaning;
    }

    /** The section of the file: the part before the first dot ({@code cache}, {@code fetch}, ...). */
    public String section() {
        return name.substring(0, name.indexOf('.'));
    }

    void apply(MtaStsConfiguration.Values values, String text) {
        setter.set(values, text);
    }

    // ---- the kinds of keys ----

    static ConfigKey duration(String name, Duration defaultValue, DurationRange range,
                              BiConsumer<MtaStsConfiguration.Values, Duration> target, String meaning) {
        String allowed = "a duration, " + range.describe() + " (" + DURATION_UNITS + ")";
        return new ConfigKey(name, formatDuration(defaultValue), allowed, meaning,
                (v, text) -> target.accept(v, MtaStsConfiguration.parseDuration(text)));
    }

    static ConfigKey integer(String name, int defaultValue, IntRange range,
                             ObjIntConsumer<MtaStsConfiguration.Values> target, String meaning) {
        return new ConfigKey(name, Integer.toString(defaultValue), "an integer, " + range.describe(), meaning,
                (v, text) -> target.accept(v, parseInt(text)));
    }

    static ConfigKey bool(String name, boolean defaultValue, BiConsumer<MtaStsConfiguration.Values, Boolean> target,
                          String meaning) {
        return choice(name, defaultValue, words("true", true, "false", false), target, meaning);
    }

    /** A key whose words (lower case, matched case-insensitively) each stand for a value, in this order. */
    static <T> ConfigKey choice(String name, T defaultValue, Map<String, T> words,
                                BiConsumer<MtaStsConfiguration.Values, T> target, String meaning) {
        String defaultWord = words.entrySet().stream().filter(e -> e.getValue().equals(defaultValue))
                .map(Map.Entry::getKey).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(name + ": the default has no word"));
        String allowedWords = String.join("|", words.keySet());
        return new ConfigKey(name, defaultWord, allowedWords, meaning, (v, text) -> {
            T value = words.get(text.trim().toLowerCase(Locale.ROOT));
            if (value == null) {
                throw new IllegalArgumentException("must be one of " + allowedWords);
            }
            target.accept(v, value);
        });
    }

    /** Words and their values, in the order given. */
    static <T> Map<String, T> words(String w1, T v1, String w2, T v2) {
        Map<String, T> m = new LinkedHashMap<>();
        m.put(w1, v1);
        m.put(w2, v2);
        return m;
    }

    static <T> Map<String, T> words(String w1, T v1, String w2, T v2, String w3, T v3) {
        Map<String, T> m = words(w1, v1, w2, v2);
        m.put(w3, v3);
        return m;
    }

    /** A text key; {@code target} checks the text and throws IllegalArgumentException when it is wrong. */
    static ConfigKey text(String name, String defaultValue, String allowed,
                          BiConsumer<MtaStsConfiguration.Values, String> target, String meaning) {
        return new ConfigKey(name, defaultValue, allowed, meaning, (v, text) -> target.accept(v, text.trim()));
    }

    private static int parseInt(String text) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an integer");
        }
    }

    /**
     * Writes a duration the way an admin would: days from 2d, hours from 1h, minutes from 2m, else
     * seconds or milliseconds ({@code 24h}, {@code 180d}, {@code 5m}, {@code 60s}).
     */
    static String formatDuration(Duration d) {
        long ms = d.toMillis();
        long s = 1000;
        long m = 60 * s;
        long h = 60 * m;
        long day = 24 * h;
        if (ms % day == 0 && ms >= 2 * day) {
            return ms / day + "d";
        }
        if (ms % h == 0 && ms >= h) {
            return ms / h + "h";
        }
        if (ms % m == 0 && ms >= 2 * m) {
            return ms / m + "m";
        }
        if (ms % s == 0) {
            return ms / s + "s";
        }
        return ms + "ms";
    }
}
