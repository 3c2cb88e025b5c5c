using System.Net;

namespace Ezio.BitTorrent.Trackers;

/// <summary>Argument checks shared by both transports, so a caller bug fails the same way on either.</summary>
internal static class AnnounceRequestValidation
{
    /// <summary>BEP 3 and BEP 15 both fix the peer id at 20 bytes.</summary>
    public const int PeerIdSize = 20;

    public static void Validate(in AnnounceRequest request)
    {
        if (request.PeerId.Length != PeerIdSize)
        {
            throw new ArgumentException($"A peer id is {PeerIdSize} bytes, got {request.PeerId.Length}.", nameof(request));
        }
        if (request.Port is < 0 or > IPEndPoint.MaxPort)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.Port, "Port must be 0..65535.");
        }
        if (request.Uploaded < 0 || request.Downloaded < 0 || request.Left < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(request), "Uploaded, Downloaded and Left must not be negative.");
        }
    }
}
