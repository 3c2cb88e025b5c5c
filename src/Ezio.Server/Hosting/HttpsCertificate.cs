using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ezio.Deployment.Signing;

namespace Ezio.Server.Hosting;

/// <summary>
/// The server's own TLS certificate for https:// listen URLs: a self-signed ECDSA P-256
/// certificate created on first start in the state directory (certificate 0644, key 0600)
/// and reused after. Nobody has to trust it through a CA: the live image carries its SHA-256
/// fingerprint and the agent accepts exactly that certificate.
/// </summary>
internal static class HttpsCertificate
{
    public const string CertificateFileName = "https-cert.pem";
    public const string KeyFileName = "https-key.pem";

    public static string CertificatePath(string stateDirectory) => Path.Combine(stateDirectory, CertificateFileName);

    /// <summary>Loads the certificate and key from <paramref name="stateDirectory"/>, creating both when neither exists.</summary>
    public static X509Certificate2 LoadOrCreate(string stateDirectory, TimeProvider? time = null)
    {
        string certPath = CertificatePath(stateDirectory);
        string keyPath = Path.Combine(stateDirectory, KeyFileName);
        if (!File.Exists(certPath) && !File.Exists(keyPath) && !OperatingSystem.IsWindows())
        {
            Create(stateDirectory, certPath, keyPath, (time ?? TimeProvider.System).GetUtcNow());
        }
        try
        {
            return X509Certificate2.CreateFromPemFile(certPath, keyPath);
        }
        catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot load the HTTPS certificate {certPath} with its key {keyPath}: {e.Message} " +
                "(remove both to have a new pair created; the live image must then be rebuilt with the new fingerprint)", e);
        }
    }

    /// <summary>SHA-256 of the certificate's DER bytes, lowercase hex: what the agent pins.</summary>
    public static string Fingerprint(X509Certificate2 certificate) => CertificatePin.Fingerprint(certificate);

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void Create(string stateDirectory, string certPath, string keyPath, DateTimeOffset now)
    {
        Directory.CreateDirectory(stateDirectory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=ezio-server", key, HashAlgorithmName.SHA256);
        // The name is informative only (agents pin the fingerprint), but clients that check it
        // locally (curl --cacert) find localhost and the loopback addresses.
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using X509Certificate2 certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(30));

        // Key first, created 0600 before a byte is written; then the certificate. Each goes to
        // a temp name and is renamed, so a crash leaves no half-written pair.
        WriteAtomically(keyPath, key.ExportPkcs8PrivateKeyPem(), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        WriteAtomically(certPath, certificate.ExportCertificatePem(),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void WriteAtomically(string path, string text, UnixFileMode mode)
    {
        string temp = path + ".tmp";
        using (var stream = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = mode,
        }))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.SetUnixFileMode(temp, mode);
        File.Move(temp, path, overwrite: true);
    }
}
