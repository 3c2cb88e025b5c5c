using Ezio.BitTorrent.Metainfo;

namespace Ezio.Server.Seeding;

internal static partial class SeedingLog
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Seeder listening for peers on port {Port}")]
    public static partial void Listening(ILogger logger, int port);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "Seeding image {Image} ({InfoHash})")]
    public static partial void Seeding(ILogger logger, string image, InfoHash infoHash);

    [LoggerMessage(EventId = 402, Level = LogLevel.Error, Message = "Image {Image} of deployment {Deployment} is not in the repository; not seeding")]
    public static partial void NoImage(ILogger logger, string image, string deployment);

    [LoggerMessage(EventId = 403, Level = LogLevel.Error, Message = "Image {Image} does not match its torrent: {Missing} pieces wrong or missing; not seeding")]
    public static partial void Incomplete(ILogger logger, string image, int missing);

    [LoggerMessage(EventId = 404, Level = LogLevel.Error, Message = "Seeding {Image} failed")]
    public static partial void Failed(ILogger logger, string image, Exception exception);

    [LoggerMessage(EventId = 405, Level = LogLevel.Information, Message = "Stopped seeding {Image}: {Reason}")]
    public static partial void Stopped(ILogger logger, string image, string reason);
}
