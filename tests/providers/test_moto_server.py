"""The moto fixture later provider tests build on: a real server reached over HTTP."""

import json
import urllib.request

import boto3


def test_clients_reach_the_moto_server_over_http(aws):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="botship-fixture", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket="botship-fixture", Key="state/manifest.json", Body=b'{"files": {}}')

    # Any HTTP client gets the object from the server process, not only boto3.
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "botship-fixture", "Key": "state/manifest.json"})
    assert url.startswith(aws)
    with urllib.request.urlopen(url, timeout=10) as response:
        assert json.loads(response.read()) == {"files": {}}
    assert s3.meta.endpoint_url == aws


def test_each_test_starts_from_an_empty_server(aws):
    assert boto3.client("s3").list_buckets()["Buckets"] == []


def test_conditional_put_is_enforced(aws):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="botship-lock", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket="botship-lock", Key="lock", Body=b"a", IfNoneMatch="*")
    try:
        s3.put_object(Bucket="botship-lock", Key="lock", Body=b"b", IfNoneMatch="*")
    except s3.exceptions.ClientError as exc:
        assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    else:
        raise AssertionError("a second IfNoneMatch='*' put must be refused with 412")
