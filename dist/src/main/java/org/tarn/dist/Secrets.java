package org.tarn.dist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Checks on the files the server's security settings name, made before
 * anything listens: a missing file, a password file others can read (refused
 * like the JDK refuses a {@code jmxremote.password} that is not owner-only),
 * a keystore that does not open. Every failure is an
 * {@link IllegalArgumentException} naming the key, the file and the fix.
 */
final class Secrets {
    private static final Set<PosixFilePermission> NOT_OWNER = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private Secrets() {
    }

    /** The file exists and can be read. */
    static Path readable(String key, Path file) {
        if (!Files.exists(file)) {
            throw new IllegalArgumentException(key + ": " + file + " does not exist");
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException(key + ": " + file + " is not a readable file");
        }
        return file;
    }

    /** The file exists, can be read, and nobody but its owner has any access to it (where POSIX says so). */
    static Path ownerOnly(String key, Path file) {
        readable(key, file);
        PosixFileAttributeView posix = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (posix != null) {
            Set<PosixFilePermission> perms;
            try {
                perms = posix.readAttributes().permissions();
            } catch (IOException e) {
                throw new IllegalArgumentException(key + ": cannot read the permissions of " + file + ": " + e, e);
            }
            if (perms.stream().anyMatch(NOT_OWNER::contains)) {
                throw new IllegalArgumentException(key + ": " + file + " must be accessible by its owner only "
                        + "(it holds passwords); run: chmod 600 " + file);
            }
        }
        return file;
    }

    /** The first line of an owner-only file, without its line end. */
    static String password(String key, Path file) {
        ownerOnly(key, file);
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.isEmpty() || lines.get(0).isEmpty()) {
                throw new IllegalArgumentException(key + ": " + file + " is empty; its first line is the password");
            }
            return lines.get(0);
        } catch (IOException e) {
            throw new IllegalArgumentException(key + ": cannot read " + file + ": " + e, e);
        }
    }

    /** Opens a keystore (PKCS12 or JKS, recognised by content) with its password. */
    static KeyStore keyStore(String key, Path file, String password) {
        readable(key, file);
        try {
            return KeyStore.getInstance(file.toFile(), password.isEmpty() ? null : password.toCharArray());
        } catch (IOException | GeneralSecurityException e) {
            String why = e.getCause() instanceof java.security.UnrecoverableKeyException
                    || String.valueOf(e.getMessage()).contains("password") ? "wrong password (" + key
                    + ".password)" : e.getMessage();
            throw new IllegalArgumentException(key + ": cannot open keystore " + file + ": " + why, e);
        }
    }

    /** A config file that holds a secret must be owner-only, like the JDK's management SSL config file. */
    static void configFileHoldsNoReadableSecret(ServerConfig config) {
        for (String k : ServerConfig.SECRET_KEYS) {
            Path file = config.sources().get(k);
            if (file != null && !config.get(k).isEmpty()) {
                try {
                    ownerOnly(k, file);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("config file " + file + " sets " + k
                            + ", so it must be accessible by its owner only; run: chmod 600 " + file, e);
                }
            }
        }
    }
}
