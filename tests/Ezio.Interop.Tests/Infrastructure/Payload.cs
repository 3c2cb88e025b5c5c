using System.Security.Cryptography;

namespace Ezio.Interop.Tests.Infrastructure;

/// <summary>Random file trees to transfer, and byte-for-byte comparison of the result.</summary>
internal static class Payload
{
    /// <summary>
    /// Writes a multi-file tree under <paramref name="root"/>: odd sizes (so pieces
    /// straddle files), a nested directory and a one-byte file. About 20 MiB.
    /// </summary>
    public static void CreateTree(string root, int seed)
    {
        var random = new Random(seed);
        (string Path, int Length)[] files =
        [
            ("alpha.bin", 5 * 1024 * 1024 + 4321),
            ("nested/beta.bin", 9 * 1024 * 1024 - 17),
            ("nested/deeper/gamma.bin", 6 * 1024 * 1024 + 1),
            ("one-byte", 1),
        ];
        byte[] buffer = new byte[1024 * 1024];
        foreach ((string relative, int length) in files)
        {
            string path = Path.Combine(root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var stream = File.Create(path);
            for (int left = length; left > 0; left -= buffer.Length)
            {
                random.NextBytes(buffer);
                stream.Write(buffer, 0, Math.Min(left, buffer.Length));
            }
        }
    }

    /// <summary>SHA-256 of every file under <paramref name="root"/>, keyed by '/'-separated relative path.</summary>
    public static SortedDictionary<string, string> HashTree(string root)
    {
        var hashes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string path in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');
            using var stream = File.OpenRead(path);
            hashes[relative] = Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        return hashes;
    }

    /// <summary>Asserts both trees hold the same relative paths with the same SHA-256.</summary>
    public static void AssertTreesEqual(string expectedRoot, string actualRoot)
    {
        Assert.True(Directory.Exists(actualRoot), $"Download directory {actualRoot} does not exist.");
        SortedDictionary<string, string> expected = HashTree(expectedRoot);
        SortedDictionary<string, string> actual = HashTree(actualRoot);
        // Clients may leave their own bookkeeping (aria2's .aria2 files sit next to
        // the download dir, not inside it), so compare exactly the expected set.
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Keys, actual.Keys);
        foreach ((string path, string hash) in expected)
        {
            Assert.True(hash == actual[path], $"{path}: SHA-256 {actual[path]} != expected {hash}");
        }
    }
}
