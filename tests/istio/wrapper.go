package istio

import "google.golang.org/protobuf/types/known/wrapperspb"

type wrapperString struct{ wrapperspb.StringValue }
