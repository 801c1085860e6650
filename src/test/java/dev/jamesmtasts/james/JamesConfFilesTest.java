package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;

import org.apache.commons.configuration2.PropertiesConfiguration;
import org.apache.commons.configuration2.XMLConfiguration;
import org.apache.commons.configuration2.io.FileHandler;
import org.junit.jupiter.api.Test;

/** The ready-to-copy files under james-conf/ parse and say what the code expects. */
class JamesConfFilesTest {
    private static final Path DIR = Path.of(System.getProperty("project.basedir", "."), "james-conf");

    @Test
    void mtaStsPropertiesListsEveryKeyWithItsDefault() throws Exception {
        PropertiesConfiguration p = new PropertiesConfiguration();
        try (Reader r = Files.newBufferedReader(DIR.resolve("mta-sts.properties"))) {
            new FileHandler(p).load(r);
        }
        int n = 0;
        for (Iterator<String> it = p.getKeys(); it.hasNext(); n++) {
            String key = it.next();
            assertThat(MtaStsConfiguration.DEFAULTS).containsKey(key);
            assertThat(p.getString(key, "")).as(key).isEqualTo(MtaStsConfiguration.DEFAULTS.get(key));
        }
        assertThat(n).isEqualTo(MtaStsConfiguration.DEFAULTS.size());
        assertThat(MtaStsConfiguration.from(p).cacheSettings().backoff()).isEqualTo(MtaStsConfiguration.defaults().cacheSettings().backoff());
    }

    @Test
    void extensionsPropertiesNamesTheModuleAndStartable() throws Exception {
        PropertiesConfiguration p = new PropertiesConfiguration();
        try (Reader r = Files.newBufferedReader(DIR.resolve("extensions.properties"))) {
            new FileHandler(p).load(r);
        }
        assertThat(Class.forName(p.getString("guice.extension.module"))).isEqualTo(MtaStsModule.class);
        assertThat(Class.forName(p.getString("guice.extension.startable"))).isEqualTo(MtaStsStartable.class);
    }

    @Test
    void mailetContainerUsesTheMailetAndKeepsTheBccCheck() throws Exception {
        XMLConfiguration x = new XMLConfiguration();
        try (Reader r = Files.newBufferedReader(DIR.resolve("mailetcontainer.xml"))) {
            new FileHandler(x).load(r);
        }
        String xml = Files.readString(DIR.resolve("mailetcontainer.xml"));
        assertThat(xml).contains("class=\"" + MtaStsRemoteDelivery.class.getName() + "\"")
                .doesNotContain("class=\"RemoteDelivery\"")
                .contains("<name>bcc</name>");
    }
}
