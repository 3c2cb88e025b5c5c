using Ezio.Agent.Disks;
using Xunit;

namespace Ezio.Agent.Tests.Disks;

public sealed class PartitionTableTests
{
    private const long MiB = 1 << 20;

    // sfdisk --json of a 32 MiB GPT image (ESP + Linux) after `sgdisk -e` on a 64 MiB disk.
    private const string Gpt = """
        {
           "partitiontable": {
              "label": "gpt",
              "id": "0BE66F28-DD2F-4058-9C12-398147E5B8BF",
              "device": "/dev/loop7",
              "unit": "sectors",
              "firstlba": 34,
              "lastlba": 131038,
              "sectorsize": 512,
              "partitions": [
                 {
                    "node": "/dev/loop7p1",
                    "start": 2048,
                    "size": 8192,
                    "type": "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
                    "uuid": "32CD1C96-0285-4836-A4B5-7F538665613B"
                 },{
                    "node": "/dev/loop7p2",
                    "start": 10240,
                    "size": 55263,
                    "type": "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
                    "uuid": "97D49691-2C7A-4963-8FE1-E0C8A5D53294"
                 }
              ]
           }
        }
        """;

    private static string Dos(params (string Node, long Start, long Size, string Type)[] partitions) =>
        "{\"partitiontable\": {\"label\": \"dos\", \"id\": \"0x03922756\", \"device\": \"/dev/sda\", \"unit\": \"sectors\", \"sectorsize\": 512, \"partitions\": ["
        + string.Join(",", partitions.Select(p => $"{{\"node\": \"{p.Node}\", \"start\": {p.Start}, \"size\": {p.Size}, \"type\": \"{p.Type}\"}}"))
        + "]}}";

    [Fact]
    public void ParseSfdiskJson_Gpt_ReadsLabelLimitAndPartitions()
    {
        var table = PartitionTable.ParseSfdiskJson(Gpt);

        Assert.True(table.IsGpt);
        Assert.Equal(512, table.SectorSize);
        Assert.Equal(131038, table.LastUsable);
        Assert.Equal([1, 2], table.Partitions.Select(p => p.Number));
        Assert.Equal(10240 + 55263 - 1, table.Partitions[1].End);
        Assert.Equal(2, table.Last()!.Number);
    }

    [Fact]
    public void GrowLast_GptAfterBackupMoved_EndsAtLastUsableSector()
    {
        var table = PartitionTable.ParseSfdiskJson(Gpt);

        var plan = table.GrowLast(64 * MiB, out _);

        var resize = Assert.Single(plan);
        Assert.Equal(2, resize.Number);
        Assert.Equal(10240, resize.Start);
        Assert.Equal(55263, resize.OldSize);
        Assert.Equal(131038 - 10240 + 1, resize.NewSize);
    }

    [Fact]
    public void GrowLast_LastPartitionAlreadyAtTheEnd_PlansNothing()
    {
        var full = Gpt.Replace("\"size\": 55263", "\"size\": 120799", StringComparison.Ordinal);

        var plan = PartitionTable.ParseSfdiskJson(full).GrowLast(64 * MiB, out var why);

        Assert.Empty(plan);
        Assert.Contains("already ends", why);
    }

    [Fact]
    public void GrowLast_LastUsableBeyondTheDisk_StopsAtTheDisksLastSector()
    {
        var table = PartitionTable.ParseSfdiskJson(Gpt) with { LastUsable = 10_000_000 };

        var resize = Assert.Single(table.GrowLast(64 * MiB, out _));

        Assert.Equal(64 * MiB / 512 - 1, resize.Start + resize.NewSize - 1);
    }

    [Fact]
    public void GrowLast_DosPrimary_EndsAtTheDisksLastSector()
    {
        var table = PartitionTable.ParseSfdiskJson(Dos(("/dev/sda1", 2048, 8192, "83"), ("/dev/sda2", 10240, 55296, "83")));

        var resize = Assert.Single(table.GrowLast(64 * MiB, out _));

        Assert.Equal(2, resize.Number);
        Assert.Equal(64 * MiB / 512 - 10240, resize.NewSize);
    }

    [Fact]
    public void GrowLast_DosLogical_GrowsTheExtendedContainerFirst()
    {
        var table = PartitionTable.ParseSfdiskJson(Dos(("/dev/sda1", 2048, 8192, "83"), ("/dev/sda2", 10240, 55296, "5"),
            ("/dev/sda5", 12288, 53248, "83")));

        var plan = table.GrowLast(64 * MiB, out _);

        Assert.Equal([2, 5], plan.Select(r => r.Number));
        Assert.Equal(131071, plan[0].Start + plan[0].NewSize - 1);
        Assert.Equal(131071, plan[1].Start + plan[1].NewSize - 1);
    }

    [Fact]
    public void GrowLast_DosBeyondTwoTiB_StopsAtTheMbrLimit()
    {
        var table = PartitionTable.ParseSfdiskJson(Dos(("/dev/sda1", 2048, 1_000_000, "83")));

        var resize = Assert.Single(table.GrowLast(4L << 40, out _));

        Assert.Equal(uint.MaxValue - 1, resize.Start + resize.NewSize - 1);
    }

    [Fact]
    public void GrowLast_NoPartitions_PlansNothingAndSaysWhy()
    {
        var plan = PartitionTable.ParseSfdiskJson(Dos()).GrowLast(64 * MiB, out var why);

        Assert.Empty(plan);
        Assert.Contains("no partition", why);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{}")]
    [InlineData("{\"partitiontable\": {\"label\": \"gpt\", \"sectorsize\": 513, \"partitions\": []}}")]
    [InlineData("{\"partitiontable\": {\"label\": \"dos\", \"partitions\": [{\"node\": \"/dev/sda\", \"start\": 1, \"size\": 1}]}}")]
    [InlineData("{\"partitiontable\": {\"label\": \"dos\", \"partitions\": [{\"node\": \"/dev/sda1\", \"start\": 1, \"size\": -5}]}}")]
    [InlineData("{\"partitiontable\": {\"label\": \"dos\", \"partitions\": [{\"node\": \"/dev/sda1\", \"start\": \"x\", \"size\": 5}]}}")]
    public void ParseSfdiskJson_Garbage_ThrowsFormatException(string json)
    {
        Assert.Throws<FormatException>(() => PartitionTable.ParseSfdiskJson(json));
    }

    [Theory]
    [InlineData("/dev/sda2", 2)]
    [InlineData("/dev/nvme0n1p13", 13)]
    [InlineData("disk.img1", 1)]
    [InlineData("/dev/sda", 0)]
    public void NumberOf_Node_TrailingDigits(string node, int number)
    {
        Assert.Equal(number, PartitionTable.NumberOf(node));
    }
}
