"""Names that `make lint`'s dead-code check (vulture) cannot see being used, each with its user.

Keep it short. Anything else vulture reports is dead code: delete it rather than list it here.
"""
# ruff: noqa: B018, F821
# (bare names are how vulture's allow-lists mark a name as used)

# Set on zipfile.ZipInfo and read by zipfile when it writes the entry (packaging/build_lambdas.py).
_.create_system
_.compress_type
# Read by Powertools' Logger.inject_lambda_context from a test's stand-in Lambda context.
_.function_name
_.aws_request_id
_.memory_limit_in_mb
_.invoked_function_arn
# pytest reads these by name: module marks, a hook, and fixtures requested for their side effect.
pytestmark
pytest_collection_modifyitems
aws_env
aws_credentials
# Called by smoke/run.py on the ECS client it is given; tests/smoke's fake stands in for boto3's.
_.describe_tasks
_.run_task
# multiprocessing calls SemLock._rebuild when it unpickles a lock; the sandbox's stand-in must refuse it too.
_._rebuild
# pytest collects the API suite's schemathesis test again under this name (tests/twin/test_twin_api.py).
test_no_generated_request_breaks_the_api_on_the_lake
