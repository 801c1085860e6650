package dev.jamesmtasts.mtasts;

import java.time.Duration;

/**
 * The allowed range of a duration setting, declared once next to the setting
 * ({@link MtaStsSettings#DNS_TIMEOUT}, ...): the builder checks it, the configuration reader documents it.
 */
public final class DurationRange {
    private static final DurationRange POSITIVE = new DurationRange(Duration.ZERO, false);
    private static final DurationRange NON_NEGATIVE = new DurationRange(Duration.ZERO, true);

    private final Duration min;
    private final boolean minIncluded;

    private DurationRange(Duration min, boolean minIncluded) {
        this.min = min;
        this.minIncluded = minIncluded;
    }

    /** Greater than zero. */
    public static DurationRange positive() {
        return POSITIVE;
    }

    /** Zero or more. */
    public static DurationRange nonNegative() {
        return NON_NEGATIVE;
    }

    /** {@code min} or more ({@code min} positive). */
    public static DurationRange atLeast(Duration min) {
        return new DurationRange(min, true);
    }

    /**
     * Returns {@code value} when in range.
     *
     * @throws SettingException naming {@code setting} otherwise (also when null)
     */
    public Duration check(String setting, Duration value) {
        if (value == null) {
            throw new SettingException(setting, "must be given");
        }
        int c = value.compareTo(min);
        if (c < 0 || (c == 0 && !minIncluded)) {
            throw new SettingException(setting, "must be " + describe());
        }
        return value;
    }

    /** E.g. {@code greater than 0}, {@code 0 or more}, {@code at least 1s}. */
    public String describe() {
        if (min.isZero()) {
            return minIncluded ? "0 or more" : "greater than 0";
        }
        return "at least " + (min.toMillis() % 1000 == 0 ? min.getSeconds() + "s" : min.toMillis() + "ms");
    }

    @Override
    public String toString() {
        return describe();
    }
}
