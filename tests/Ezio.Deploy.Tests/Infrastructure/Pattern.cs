using System.Security.Cryptography;

namespace Ezio.Deploy.Tests.Infrastructure;

/// <summary>
/// The filler every test device starts with: a byte that depends on its offset, so a stray
/// write of any alignment (or a write at the wrong offset) shows up.
/// </summary>
internal static class Pattern
{
    public static byte At(long offset) => (byte)(0xA5 ^ (offset >> 9) ^ (offset * 31));

    public static void Fill(Span<byte> destination, long offset)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = At(offset + i);
        }
    }

    /// <summary>Index of the first byte in <paramref name="data"/> (at <paramref name="offset"/>) that is not the pattern, or -1.</summary>
    public static long FirstMismatch(ReadOnlySpan<byte> data, long offset)
    {
        for (int i = 0; i < data.Length; i++)
        {
            if (data[i] != At(offset + i))
            {
                return offset + i;
            }
        }

        return -1;
    }
}

internal static class Hashing
{
    /// <summary>SHA-256 of the whole device, read through the device node.</summary>
    public static string Sha256(this LoopDevice device) => Sha256OfFile(device.Path, device.Size);

    public static string Sha256OfFile(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long left = length;
        while (left > 0)
        {
            int n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0)
            {
                break;
            }

            hash.AppendData(buffer, 0, n);
            left -= n;
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Deterministic incompressible bytes (xorshift), fast enough for hundreds of MiB.</summary>
    public static void FillRandom(Span<byte> destination, ulong seed)
    {
        ulong x = seed | 1;
        var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(destination);
        for (int i = 0; i < words.Length; i++)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            words[i] = x;
        }

        for (int i = words.Length * 8; i < destination.Length; i++)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            destination[i] = (byte)x;
        }
    }
}
