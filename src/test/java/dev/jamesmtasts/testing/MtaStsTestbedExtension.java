package dev.jamesmtasts.testing;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import dev.jamesmtasts.mtasts.MtaStsResolver;

/**
 * One {@link MtaStsTestbed} per test class: before the class's {@code @BeforeAll} methods run, it
 * starts a testbed and sets the class's static fields of type {@link MtaStsTestbed}, and of type
 * {@link MtaStsResolver} to a resolver built from {@link MtaStsTestbed#settings()}; after all tests it
 * closes the resolver, then the testbed.
 *
 * <pre>
 * &#64;ExtendWith(MtaStsTestbedExtension.class)
 * class PolicyFetchTest {
 *     private static MtaStsTestbed bed;          // set by the extension
 *     private static MtaStsResolver resolver;    // optional
 * </pre>
 */
public final class MtaStsTestbedExtension implements BeforeAllCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(MtaStsTestbedExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        List<Field> beds = staticFields(context.getRequiredTestClass(), MtaStsTestbed.class);
        List<Field> resolvers = staticFields(context.getRequiredTestClass(), MtaStsResolver.class);
        if (beds.isEmpty()) {
            throw new IllegalStateException(context.getRequiredTestClass().getName()
                    + " uses MtaStsTestbedExtension without a static MtaStsTestbed field");
        }
        MtaStsTestbed bed = MtaStsTestbed.start();
        MtaStsResolver resolver = null;
        try {
            resolver = resolvers.isEmpty() ? null : new MtaStsResolver(bed.settings().build());
            for (Field f : beds) {
                f.set(null, bed);
            }
            for (Field f : resolvers) {
                f.set(null, resolver);
            }
        } catch (Exception | Error e) {
            close(resolver, bed);
            throw e;
        }
        context.getStore(NS).put(MtaStsTestbed.class, bed);
        context.getStore(NS).put(MtaStsResolver.class, resolver);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        ExtensionContext.Store store = context.getStore(NS);
        close(store.remove(MtaStsResolver.class, MtaStsResolver.class), store.remove(MtaStsTestbed.class, MtaStsTestbed.class));
    }

    private static void close(MtaStsResolver resolver, MtaStsTestbed bed) {
        try {
            if (resolver != null) {
                resolver.close();
            }
        } finally {
            if (bed != null) {
                bed.close();
            }
        }
    }

    private static List<Field> staticFields(Class<?> testClass, Class<?> type) {
        List<Field> out = new ArrayList<>();
        for (Class<?> c = testClass; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (f.getType() == type && Modifier.isStatic(f.getModifiers()) && !Modifier.isFinal(f.getModifiers())) {
                    f.setAccessible(true);
                    out.add(f);
                }
            }
        }
        return out;
    }
}
