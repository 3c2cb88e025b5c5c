using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Ezio.BitTorrent.Storage;
using Tmds.Linux;

namespace Ezio.Storage.Interop;

internal static class Errors
{
    /// <summary>The calling thread's errno, read right after the failing call.</summary>
    public static int LastErrno => LibC.errno;

    /// <summary>strerror text for <paramref name="errno"/> (e.g. "No space left on device").</summary>
    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    [DoesNotReturn]
    public static void ThrowStorage(string operation, string target, long offset, long count, int errno) =>
        throw new StorageException(
            $"{operation} of {count} bytes at offset {offset} on '{target}' failed: {Describe(errno)}.");

    [DoesNotReturn]
    public static void ThrowStorage(string operation, string target, int errno) =>
        throw new StorageException($"{operation} on '{target}' failed: {Describe(errno)}.");
}
