using System.Net;
using Ezio.BitTorrent.Metainfo;

namespace Ezio.Server.Tracker;

internal static partial class TrackerLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "Swarm {InfoHash} is full ({Max} peers); announce not recorded")]
    public static partial void SwarmFull(ILogger logger, InfoHash infoHash, int max);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Swarm {InfoHash} closed: {Reason}")]
    public static partial void SwarmClosed(ILogger logger, InfoHash infoHash, string reason);

    [LoggerMessage(EventId = 102, Level = LogLevel.Debug, Message = "Rejected announce from {Remote}: {Reason}")]
    public static partial void Rejected(ILogger logger, IPAddress remote, string reason);

    [LoggerMessage(EventId = 103, Level = LogLevel.Debug, Message = "Swarm {InfoHash}: {Address} already has {Max} peer ids and is no machine of the deployment; announce not recorded")]
    public static partial void AddressFull(ILogger logger, InfoHash infoHash, IPAddress address, int max);
}
