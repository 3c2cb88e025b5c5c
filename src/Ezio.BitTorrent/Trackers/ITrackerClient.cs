using System.Net;
using Ezio.BitTorrent.Metainfo;

namespace Ezio.BitTorrent.Trackers;

public enum TrackerEvent
{
    None,
    Started,
    Completed,
    Stopped,
}

public readonly record struct AnnounceRequest(
    InfoHash InfoHash,
    ReadOnlyMemory<byte> PeerId,
    int Port,
    long Uploaded,
    long Downloaded,
    long Left,
    TrackerEvent Event,
    int NumWant = 200);

/// <summary>A tracker's answer. <see cref="FailureReason"/> set means the tracker refused (an expected outcome, not an exception).</summary>
public sealed record AnnounceResponse(
    IReadOnlyList<IPEndPoint> Peers,
    TimeSpan Interval,
    TimeSpan? MinInterval,
    int? Complete,
    int? Incomplete,
    string? FailureReason,
    string? WarningMessage);

public interface ITrackerClient : IDisposable
{
    Uri Uri { get; }

    /// <summary>Announces; throws <see cref="TrackerException"/> when the tracker cannot be reached or answers garbage.</summary>
    Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, CancellationToken cancellationToken);
}

public sealed class TrackerException : Exception
{
    public TrackerException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

public static class TrackerClientFactory
{
    /// <summary>An HTTP(S) (BEP 3/23) or UDP (BEP 15) client for the announce URL.</summary>
    /// <exception cref="ArgumentException">The URL is relative or its scheme is not http, https or udp.</exception>
    public static ITrackerClient Create(Uri announce)
    {
        ArgumentNullException.ThrowIfNull(announce);
        if (!announce.IsAbsoluteUri)
        {
            throw new ArgumentException($"Tracker announce URL '{announce}' is not absolute.", nameof(announce));
        }
        // Uri.Scheme is always lower case, so a plain comparison is enough.
        return announce.Scheme switch
        {
            "http" or "https" => new HttpTrackerClient(announce),
            "udp" => new UdpTrackerClient(announce),
            _ => throw new ArgumentException(
                $"Tracker announce URL '{announce}' has unsupported scheme '{announce.Scheme}'; expected http, https or udp.",
                nameof(announce)),
        };
    }
}
