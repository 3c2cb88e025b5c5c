using System.Security.Cryptography;
using System.Text.Json;
using Ezio.Deployment.Contracts;

namespace Ezio.Deployment.Signing;

/// <summary>
/// Signs and verifies jobs with ECDSA P-256 / SHA-256. The signed bytes are the canonical JSON
/// of the job with <see cref="Job.Signature"/> null: the source-generated serializer writes
/// properties in declaration order, unindented, so server and agent (same contract version)
/// produce identical bytes. The signature is base64 of the IEEE P1363 (r||s, 64 bytes) form.
/// </summary>
public static class JobSigner
{
    /// <summary>The exact bytes a signature covers.</summary>
    public static byte[] CanonicalBytes(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return JsonSerializer.SerializeToUtf8Bytes(job with { Signature = null }, DeploymentJsonContext.Default.Job);
    }

    /// <summary>Returns a copy of <paramref name="job"/> carrying a signature made with <paramref name="key"/>.</summary>
    public static Job Sign(Job job, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var signature = key.SignData(CanonicalBytes(job), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return job with { Signature = Convert.ToBase64String(signature) };
    }

    /// <summary>True only when the job is signed and the signature verifies with <paramref name="key"/>.</summary>
    public static bool Verify(Job job, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(key);
        if (string.IsNullOrEmpty(job.Signature))
        {
            return false;
        }
        var signature = new byte[96];
        if (!Convert.TryFromBase64String(job.Signature, signature, out var length) || length != 64)
        {
            return false;
        }
        return key.VerifyData(CanonicalBytes(job), signature.AsSpan(0, length), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>Verifies against a PEM "PUBLIC KEY" (SubjectPublicKeyInfo), e.g. /etc/ezio/trusted.pub.</summary>
    public static bool Verify(Job job, string publicKeyPem)
    {
        using var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(publicKeyPem);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            return false;
        }
        return Verify(job, key);
    }

    /// <summary>Loads a private key PEM (EC PRIVATE KEY or PKCS#8).</summary>
    public static ECDsa LoadPrivateKey(string pem)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(pem);
        return key;
    }

    /// <summary>Makes a fresh P-256 key (ezio-server writes it with <c>ExportPkcs8PrivateKeyPem</c>).</summary>
    public static ECDsa CreateKey() => ECDsa.Create(ECCurve.NamedCurves.nistP256);
}
