package auth

// The worked examples of docs/security.md. Tests check that the document
// quotes them verbatim and that they allow and deny what it says.

// ExampleWorkerPolicy lets a worker poll for activity tasks, heartbeat them
// and report their outcome (completed, failed or canceled), in domain "prod"
// of account 123456789012 and nothing else.
const ExampleWorkerPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "WorkOnActivityTasksInProd",
      "Effect": "Allow",
      "Action": [
        "swf:PollForActivityTask",
        "swf:RecordActivityTaskHeartbeat",
        "swf:RespondActivityTask*"
      ],
      "Resource": "arn:aws:swf:*:123456789012:/domain/prod"
    }
  ]
}`

// ExampleDeciderPolicy lets a decider poll for decision tasks in domain
// "prod" and answer them, and of all the decisions allows only scheduling
// activities of type "resize": any other decision in its answer fails with
// cause OPERATION_NOT_PERMITTED.
const ExampleDeciderPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "DecideInProd",
      "Effect": "Allow",
      "Action": [
        "swf:PollForDecisionTask",
        "swf:RespondDecisionTaskCompleted"
      ],
      "Resource": "arn:aws:swf:*:123456789012:/domain/prod"
    },
    {
      "Sid": "ScheduleOnlyResize",
      "Effect": "Allow",
      "Action": "swf:ScheduleActivityTask",
      "Resource": "arn:aws:swf:*:123456789012:/domain/prod",
      "Condition": {
        "StringEquals": {
          "swf:activityType.name": "resize"
        }
      }
    }
  ]
}`

// ExampleCredentials is a credentials file giving the two example policies
// to two principals, "worker" and "decider". The keys are AWS's documentation
// examples; never use them for real.
const ExampleCredentials = `{
  "accountId": "123456789012",
  "principals": [
    {
      "name": "worker",
      "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
      "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "policies": [
        {
          "Version": "2012-10-17",
          "Statement": [
            {
              "Sid": "WorkOnActivityTasksInProd",
              "Effect": "Allow",
              "Action": [
                "swf:PollForActivityTask",
                "swf:RecordActivityTaskHeartbeat",
                "swf:RespondActivityTask*"
              ],
              "Resource": "arn:aws:swf:*:123456789012:/domain/prod"
            }
          ]
        }
      ]
    },
    {
      "name": "decider",
      "accessKeyId": "AKIAI44QH8DHBEXAMPLE",
      "secretAccessKey": "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
      "policies": [
        {
          "Version": "2012-10-17",
          "Statement": [
            {
              "Sid": "DecideInProd",
              "Effect": "Allow",
              "Action": [
                "swf:PollForDecisionTask",
                "swf:RespondDecisionTaskCompleted"
              ],
              "Resource": "arn:aws:swf:*:123456789012:/domain/prod"
            },
            {
              "Sid": "ScheduleOnlyResize",
              "Effect": "Allow",
              "Action": "swf:ScheduleActivityTask",
              "Resource": "arn:aws:swf:*:123456789012:/domain/prod",
              "Condition": {
                "StringEquals": {
                  "swf:activityType.name": "resize"
                }
              }
            }
          ]
        }
      ]
    }
  ]
}`
