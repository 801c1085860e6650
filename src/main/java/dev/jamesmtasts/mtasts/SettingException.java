package dev.jamesmtasts.mtasts;

/**
 * A value a settings builder ({@link MtaStsSettings.Builder}, the cache's {@code CacheSettings.Builder})
 * rejects: names the setting as the builder calls it and says what it must be. The message reads
 * {@code "nearCacheSize must be at least 1"}; a configuration reader that knows the key the admin typed
 * reports {@link #requirement()} under that key instead, so the rule is checked in one place only.
 */
public final class SettingException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String setting;
    private final String requirement;

    /**
     * @param setting the builder's name of the setting, e.g. {@code nearCacheSize}
     * @param requirement what a valid value is, starting with "must", e.g. {@code must be at least 1}
     */
    public SettingException(String setting, String requirement) {
        super(setting + " " + requirement);
        this.setting = setting;
        this.requirement = requirement;
    }

    /** The builder's name of the setting. */
    public String setting() {
        return setting;
    }

    /** What a valid value is, e.g. {@code must be at least 1}. */
    public String requirement() {
        return requirement;
    }
}
