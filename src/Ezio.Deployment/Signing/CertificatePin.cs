using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ezio.Deployment.Signing;

/// <summary>
/// Trust in ezio-server's self-signed HTTPS certificate by its SHA-256 fingerprint (of the
/// DER bytes, as `openssl x509 -fingerprint -sha256` prints it). A client that pins accepts
/// exactly that certificate, whatever its names, dates or issuer: the handshake fails before
/// any request (with its token or secret) is sent to anyone else.
/// </summary>
public static class CertificatePin
{
    /// <summary>Lowercase hex of the SHA-256 of the certificate's DER bytes.</summary>
    public static string Fingerprint(X509Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexStringLower(SHA256.HashData(certificate.GetRawCertData()));
    }

    /// <summary>
    /// A pin as people write it (hex, any case, with or without colons, "sha256:" or
    /// "SHA256 Fingerprint=" prefix) as 64 lowercase hex digits; null when it is not one.
    /// </summary>
    public static string? Normalize(string? pin)
    {
        if (pin is null)
        {
            return null;
        }
        string text = pin.Trim();
        int equals = text.LastIndexOf('=');
        if (equals >= 0)
        {
            text = text[(equals + 1)..];
        }
        if (text.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase))
        {
            text = text[7..];
        }
        text = text.Replace(":", "", StringComparison.Ordinal).ToLowerInvariant();
        return text.Length == 64 && text.All(char.IsAsciiHexDigit) ? text : null;
    }

    /// <summary>A handler whose TLS accepts only the certificate with this fingerprint (or, with <paramref name="pin"/> null, any certificate).</summary>
    public static SocketsHttpHandler Handler(string? pin)
    {
        string? expected = pin is null ? null : Normalize(pin) ?? throw new ArgumentException($"not a SHA-256 fingerprint: '{pin}'", nameof(pin));
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && (expected is null || Matches(certificate, expected)),
            },
        };
    }

    private static bool Matches(X509Certificate certificate, string expected)
    {
        Span<byte> actual = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(certificate.GetRawCertData(), actual);
        Span<byte> wanted = stackalloc byte[SHA256.HashSizeInBytes];
        Convert.FromHexString(expected, wanted, out _, out _);
        return CryptographicOperations.FixedTimeEquals(actual, wanted);
    }
}
