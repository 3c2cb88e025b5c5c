using Ezio.BitTorrent.Metainfo;
using Microsoft.Win32.SafeHandles;

namespace Ezio.BitTorrent.Storage;

/// <summary>
/// The ordinary BitTorrent layout: a single-file torrent is one file at the target path, a
/// multi-file torrent is a directory holding every file at its relative path.
/// </summary>
/// <remarks>
/// All files are created (sparse, extended to their length, never shrunk) and opened when the
/// storage is opened, so a missing directory or a full file table fails at start rather than
/// halfway through a download, and reads need no lock: the handle array never changes.
/// I/O goes through <see cref="RandomAccess"/>, which is pread/pwrite on Linux.
/// </remarks>
public sealed class FileStorage : ITorrentStorage
{
    private readonly string[] _paths;
    private readonly long[] _offsets;
    private readonly long[] _lengths;
    private readonly SafeFileHandle[] _handles;
    private bool _disposed;

    private readonly bool _readOnly;

    private FileStorage(string[] paths, long[] offsets, long[] lengths, long totalLength, bool mayHaveData, bool readOnly)
    {
        _readOnly = readOnly;
        _paths = paths;
        _offsets = offsets;
        _lengths = lengths;
        _handles = new SafeFileHandle[paths.Length];
        Length = totalLength;
        MayHaveData = mayHaveData;
    }

    public long Length { get; }

    /// <summary>True when at least one of the torrent's files already existed.</summary>
    public bool MayHaveData { get; }

    /// <summary>Opens the files of <paramref name="torrent"/> under <paramref name="targetPath"/>.</summary>
    public static FileStorage Open(string targetPath, Torrent torrent) =>
        Open(targetPath, torrent.Files, torrent.TotalLength, torrent.IsMultiFile);

    /// <summary>
    /// Opens (creating as needed) the files of a torrent. For a single-file torrent
    /// <paramref name="targetPath"/> is the file itself; otherwise it is the directory that
    /// holds the files at their relative paths. With <paramref name="readOnly"/> (verify,
    /// seed) nothing is created, extended or written: a missing or short file reads as
    /// missing data (a <see cref="StorageException"/> for the pieces it holds).
    /// </summary>
    public static FileStorage Open(string targetPath, IReadOnlyList<TorrentFile> files, long totalLength, bool isMultiFile, bool readOnly = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetPath);
        ArgumentNullException.ThrowIfNull(files);
        if (!isMultiFile && files.Count != 1)
        {
            throw new ArgumentException($"A single-file torrent has exactly one file, not {files.Count}.", nameof(files));
        }

        var paths = new string[files.Count];
        var offsets = new long[files.Count];
        var lengths = new long[files.Count];
        long expected = 0;
        string root = Path.GetFullPath(targetPath);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < files.Count; i++)
        {
            TorrentFile file = files[i];
            if (file.Offset != expected || file.Length < 0)
            {
                throw new ArgumentException(
                    $"File '{file.Path}' starts at {file.Offset} with length {file.Length}; expected it to start at {expected}.",
                    nameof(files));
            }

            paths[i] = isMultiFile ? ResolveInside(root, file) : root;
            if (!seen.Add(paths[i]))
            {
                throw new StorageException($"Two torrent files map to the same path '{paths[i]}'.");
            }

            offsets[i] = file.Offset;
            lengths[i] = file.Length;
            expected += file.Length;
        }

        if (expected != totalLength)
        {
            throw new ArgumentException($"Files add up to {expected} bytes, but the torrent length is {totalLength}.", nameof(totalLength));
        }

        bool anyExisted = paths.Any(File.Exists);
        var storage = new FileStorage(paths, offsets, lengths, totalLength, anyExisted, readOnly);
        try
        {
            if (readOnly)
            {
                storage.OpenExisting();
            }
            else
            {
                storage.CreateAll();
            }
        }
        catch
        {
            storage.Dispose();
            throw;
        }

        return storage;
    }

    public void Read(long offset, Span<byte> destination)
    {
        CheckRange(offset, destination.Length);
        int index = FindFile(offset);
        while (!destination.IsEmpty)
        {
            long within = offset - _offsets[index];
            int count = (int)Math.Min(destination.Length, _lengths[index] - within);
            if (count > 0)
            {
                ReadExactly(index, destination[..count], within);
                destination = destination[count..];
                offset += count;
            }

            index++;
        }
    }

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        CheckRange(offset, data.Length);
        if (_readOnly)
        {
            throw new StorageException($"'{_paths[FindFile(offset)]}' was opened read-only.");
        }

        int index = FindFile(offset);
        while (!data.IsEmpty)
        {
            long within = offset - _offsets[index];
            int count = (int)Math.Min(data.Length, _lengths[index] - within);
            if (count > 0)
            {
                try
                {
                    // RandomAccess.Write loops over short writes itself.
                    RandomAccess.Write(_handles[index], data[..count], within);
                }
                catch (IOException ex)
                {
                    throw new StorageException($"Writing {count} bytes at offset {within} of '{_paths[index]}' failed: {ex.Message}", ex);
                }

                data = data[count..];
                offset += count;
            }

            index++;
        }
    }

    /// <summary>
    /// fsyncs every file, not only those written since open: a resumed download may find all
    /// of its pieces written by an earlier run whose data never left the page cache.
    /// </summary>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        for (int i = 0; i < _handles.Length; i++)
        {
            if (_readOnly || _handles[i] is null)
            {
                continue;
            }

            try
            {
                RandomAccess.FlushToDisk(_handles[i]);
            }
            catch (IOException ex)
            {
                throw new StorageException($"Flushing '{_paths[i]}' failed: {ex.Message}", ex);
            }
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (SafeFileHandle? handle in _handles)
        {
            handle?.Dispose();
        }
    }

    private void CreateAll()
    {
        for (int i = 0; i < _paths.Length; i++)
        {
            string path = _paths[i];
            try
            {
                string? directory = Path.GetDirectoryName(path);
                if (!string.IsNullOrEmpty(directory))
                {
                    Directory.CreateDirectory(directory);
                }

                _handles[i] = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
                // Extending with ftruncate leaves a hole: no blocks are used until a piece lands.
                if (RandomAccess.GetLength(_handles[i]) < _lengths[i])
                {
                    RandomAccess.SetLength(_handles[i], _lengths[i]);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new StorageException($"Cannot create '{path}' ({_lengths[i]} bytes): {ex.Message}", ex);
            }
        }
    }

    /// <summary>Opens the files that exist for reading; a missing one keeps a null handle.</summary>
    private void OpenExisting()
    {
        for (int i = 0; i < _paths.Length; i++)
        {
            try
            {
                if (File.Exists(_paths[i]))
                {
                    _handles[i] = File.OpenHandle(_paths[i], FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new StorageException($"Cannot open '{_paths[i]}' for reading: {ex.Message}", ex);
            }
        }
    }

    private void ReadExactly(int index, Span<byte> destination, long fileOffset)
    {
        if (_handles[index] is null)
        {
            throw new StorageException($"'{_paths[index]}' does not exist.");
        }

        while (!destination.IsEmpty)
        {
            int read;
            try
            {
                read = RandomAccess.Read(_handles[index], destination, fileOffset);
            }
            catch (IOException ex)
            {
                throw new StorageException($"Reading {destination.Length} bytes at offset {fileOffset} of '{_paths[index]}' failed: {ex.Message}", ex);
            }

            if (read == 0)
            {
                // A written file was sized at open, so end-of-file means someone truncated it; a
                // file opened read-only may simply be short.
                throw new StorageException(_readOnly
                    ? $"'{_paths[index]}' ends before offset {fileOffset}."
                    : $"'{_paths[index]}' ends before offset {fileOffset}; was it truncated?");
            }

            destination = destination[read..];
            fileOffset += read;
        }
    }

    /// <summary>Index of the file holding torrent offset <paramref name="offset"/> (binary search).</summary>
    private int FindFile(long offset)
    {
        // Last file whose start is <= offset; among files sharing a start (zero-length files
        // followed by a real one) that is the one with data.
        int lo = 0;
        int hi = _offsets.Length - 1;
        while (lo < hi)
        {
            int mid = lo + ((hi - lo + 1) / 2);
            if (_offsets[mid] <= offset)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }

    private void CheckRange(long offset, int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (offset < 0 || offset > Length - count)
        {
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"Range {offset}+{count} lies outside the torrent (length {Length}).");
        }
    }

    private static string ResolveInside(string root, TorrentFile file)
    {
        if (file.PathSegments.Count == 0)
        {
            throw new StorageException($"Torrent file '{file.Path}' has an empty path.");
        }

        foreach (string segment in file.PathSegments)
        {
            // A segment is one name: anything that could climb out or restart the path is hostile.
            if (segment.Length == 0 || segment == "." || segment == ".." || segment.Contains('/') || segment.Contains('\0'))
            {
                throw new StorageException($"Torrent file path '{file.Path}' has an unsafe segment '{segment}'.");
            }
        }

        string full = Path.GetFullPath(Path.Combine([root, .. file.PathSegments]));
        string prefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw new StorageException($"Torrent file path '{file.Path}' escapes the target directory '{root}'.");
        }

        return full;
    }
}
